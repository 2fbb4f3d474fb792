package dev.portcullis.bastion.upstream;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How the bastion's database proxy logs in to one PostgreSQL target: a password per database role, which people never
 * see (they log in to the proxy with a credential from the broker). The server authenticates the proxy with
 * SCRAM-SHA-256 (or MD5 / cleartext where it still asks for those).
 *
 * @param host     overrides the policy's address when not null
 * @param database overrides the policy's database name when not null
 * @param tls      whether the proxy speaks TLS to the server, and whom it trusts there
 */
public record DatabaseTarget(String name, String host, int port, String database, Map<String, String> passwords, UpstreamTls tls) {

    public DatabaseTarget {
        Objects.requireNonNull(name, "name");
        passwords = Map.copyOf(passwords);
        tls = tls == null ? UpstreamTls.OFF : tls;
    }

    /** Without TLS to the server (a server on the bastion's own host, or a trusted network). */
    public DatabaseTarget(String name, String host, int port, String database, Map<String, String> passwords) {
        this(name, host, port, database, passwords, UpstreamTls.OFF);
    }

    public Optional<String> passwordFor(String role) {
        return Optional.ofNullable(passwords.get(role));
    }

    @Override
    public String toString() {
        // never print a password
        return "DatabaseTarget[" + name + ", roles " + passwords.keySet() + ", tls " + tls + "]";
    }
}
