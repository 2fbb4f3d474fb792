package dev.portcullis.bastion.upstream;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * How the bastion's database proxy logs in to one PostgreSQL target: a password per database role, which people never
 * see (they log in to the proxy with a credential from the broker). The server authenticates the proxy with
 * SCRAM-SHA-256 only: a server that asks for the password in clear or as MD5 is refused, so that nobody posing as the
 * server learns it.
 *
 * @param host          the server's address; only ever from the bastion's inventory, never from the broker's policy
 * @param database      overrides the policy's database name when not null
 * @param readOnlyRoles the roles meant for read grants ({@code readOnly: true}): a read grant on any other role is
 *                      refused, and these roles are checked at every login to hold no privilege that could write
 * @param tls           whether the proxy speaks TLS to the server, and whom it trusts there
 */
public record DatabaseTarget(
        String name,
        String host,
        int port,
        String database,
        Map<String, String> passwords,
        Set<String> readOnlyRoles,
        UpstreamTls tls) {

    public DatabaseTarget {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(host, "host");
        passwords = Map.copyOf(passwords);
        readOnlyRoles = Set.copyOf(readOnlyRoles);
        tls = tls == null ? UpstreamTls.OFF : tls;
    }

    /** Without TLS to the server (a server on the bastion's own host, or a trusted network). */
    public DatabaseTarget(String name, String host, int port, String database, Map<String, String> passwords) {
        this(name, host, port, database, passwords, Set.of(), UpstreamTls.OFF);
    }

    public Optional<String> passwordFor(String role) {
        return Optional.ofNullable(passwords.get(role));
    }

    /** Whether the inventory marks this role as one for read grants. */
    public boolean readOnly(String role) {
        return readOnlyRoles.contains(role);
    }

    @Override
    public String toString() {
        // never print a password
        return "DatabaseTarget[" + name + ", roles " + passwords.keySet() + ", read-only " + readOnlyRoles + ", tls "
                + tls + "]";
    }
}
