package dev.portcullis.deploy;

import dev.portcullis.local.LocalPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The quickstart's database side: a demo database {@code orders} standing in for the policy's {@code prod-db}, in the
 * quickstart's own PostgreSQL, with the two roles the example policy names ({@code app_readonly}, {@code app_admin}).
 * Their passwords are made here, kept in the bastion's directory (0600) and written nowhere else: people log in to the
 * bastion's database proxy with credentials from the broker, never with these.
 */
final class DemoDatabase {

    static final String TARGET = "prod-db";
    static final String DATABASE = "orders";
    static final List<String> ROLES = List.of("app_readonly", "app_admin");

    private DemoDatabase() {}

    /** Creates (or keeps) the database, its roles and a little data, and adds it to the bastion's inventory. */
    static void prepare(LocalPostgres postgres, Path bastionDir) {
        Path passwords = bastionDir.resolve("db-passwords");
        try {
            Files.createDirectories(passwords);
            Files.setPosixFilePermissions(passwords, PosixFilePermissions.fromString("rwx------"));
            postgres.createDatabase(DATABASE);
            StringBuilder inventory = new StringBuilder("""
                    # The demo database, as the bastion's proxy reaches it. Written by the quickstart.
                    databases:
                      %s:
                        address: 127.0.0.1:%d
                        database: %s
                        roles:
                    """.formatted(TARGET, postgres.port(), DATABASE));
            for (String role : ROLES) {
                Path file = passwords.resolve(role);
                String password;
                if (Files.exists(file)) {
                    password = Files.readString(file).strip();
                } else {
                    password = java.util.UUID.randomUUID().toString();
                    SecretFiles.write(file, password + "\n");
                }
                postgres.createRole(role, password);
                // the read role is marked so: only such a role serves read grants, checked at each login to hold
                // no privilege that could write (PostgreSQL 15 already keeps CREATE on schema public from PUBLIC)
                inventory
                        .append("      ")
                        .append(role)
                        .append(": {passwordFile: ")
                        .append(file)
                        .append(role.equals("app_readonly") ? ", readOnly: true}\n" : "}\n");
            }
            postgres.sql(DATABASE, """
                    create table if not exists orders (id serial primary key, customer text not null, total numeric(10,2) not null,
                                                       placed_at timestamptz not null default now());
                    insert into orders (customer, total) select 'customer-' || n, n * 9.99 from generate_series(1, 5) n
                      where not exists (select 1 from orders);
                    grant select on orders to app_readonly;
                    grant all on orders to app_admin;
                    grant usage on sequence orders_id_seq to app_admin;
                    """);
            // after DemoTarget's SSH targets: the same inventory file, one more top-level key
            Files.writeString(bastionDir.resolve("targets.yaml"), inventory.toString(), StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new Quickstart.QuickstartException("cannot prepare the demo database: " + e.getMessage());
        }
    }
}
