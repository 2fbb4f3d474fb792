package dev.portcullis.broker.db;

import dev.portcullis.broker.persistence.DatabaseCredentialStore;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.port.DatabaseCredentials;
import dev.portcullis.workflow.port.GrantAuthority.AuthorityUnavailableException;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Short-lived credentials people send as their PostgreSQL password to the bastion's database proxy, instead of any
 * password of the database itself. A credential names a person and one target, and is nobody's on any other target
 * (a credential leaked from one database's client cannot be used against another); which roles the person may use is
 * decided per connection from the live grants. Only its SHA-256 is stored; it is shown once, to its holder.
 * A bastion inside the broker calls {@link #holderOf} directly; remote bastions through
 * {@code POST /internal/v1/db/credentials/verify}.
 */
@ApplicationScoped
public class DatabaseCredentialIssuer implements DatabaseCredentials {

    /** Marks the credential in logs and secret scanners; the rest is 32 random bytes, base64url. */
    static final String PREFIX = "pcdb_";

    private static final int RANDOM_BYTES = 32;
    private static final int LENGTH = PREFIX.length() + 43;
    private static final Duration MAX_VALIDITY = Duration.ofHours(24);

    public record Issued(String username, String target, String credential, Instant expiresAt) {
        @Override
        public String toString() {
            return "Issued[" + username + " for " + target + ", expires " + expiresAt + "]";
        }
    }

    /**
     * A credential that exists but is not good where it was presented: for another target
     * ({@code credential_for_other_target}) or issued before credentials named their account
     * ({@code credential_without_account}).
     */
    public static final class RefusedCredentialException extends RuntimeException {
        private final String code;

        RefusedCredentialException(String code, String message) {
            super(message, null, false, false);
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    private final SecureRandom random = new SecureRandom();

    @Inject
    DatabaseCredentialStore store;

    @Inject
    AuditSink audit;

    @Inject
    Clock clock;

    @ConfigProperty(name = "portcullis.db.credential-validity", defaultValue = "1h")
    Duration validity;

    @PostConstruct
    void check() {
        if (validity.isNegative() || validity.isZero() || validity.compareTo(MAX_VALIDITY) > 0) {
            throw new IllegalStateException(
                    "portcullis.db.credential-validity must be between 1s and 24h, not " + validity);
        }
    }

    /** @param account Keycloak's id ({@code sub}) of the account asking, the one whose grants the credential opens */
    public Issued issue(String username, String account, String target) {
        Objects.requireNonNull(account, "account");
        byte[] bytes = new byte[RANDOM_BYTES];
        random.nextBytes(bytes);
        String credential = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Instant now = clock.instant();
        Instant expires = now.plus(validity);
        store.save(hash(credential), username, account, target, now, expires);
        audit.append(new AuditEvent(
                now,
                username,
                "db.credential.issued",
                "database_credential",
                username,
                Map.of("target", target, "expiresAt", expires.toString())));
        return new Issued(username, target, credential, expires);
    }

    @Override
    public Optional<Holder> holderOf(String credential, String target) {
        try {
            return holder(credential, target);
        } catch (RefusedCredentialException e) {
            return Optional.empty();
        }
    }

    /**
     * As {@link #holderOf}, but a valid credential presented for another target, or one that names no account, is an
     * attempt worth an audit row: it throws {@link RefusedCredentialException} with the one line to show.
     */
    public Optional<Holder> holder(String credential, String target) {
        if (credential == null || credential.length() != LENGTH || !credential.startsWith(PREFIX) || target == null) {
            return Optional.empty();
        }
        Optional<DatabaseCredentialStore.Holder> holder;
        try {
            holder = store.holder(hash(credential), clock.instant());
        } catch (RuntimeException e) {
            throw new AuthorityUnavailableException(
                    "the broker cannot read database credentials right now: " + e.getMessage(), e);
        }
        if (holder.isEmpty()) {
            return Optional.empty();
        }
        DatabaseCredentialStore.Holder h = holder.get();
        if (!target.equals(h.target())) {
            String issuedFor = h.target() == null ? "no target (issued before credentials named one)" : h.target();
            throw refused(
                    h,
                    target,
                    "credential_for_other_target",
                    issuedFor,
                    "this database credential of " + h.username() + " is for " + issuedFor + ", not " + target);
        }
        if (h.account() == null) {
            // Nothing recorded which account asked (V19), so nothing can tell whose grants it may open.
            throw refused(
                    h,
                    target,
                    "credential_without_account",
                    "no account",
                    "this database credential of " + h.username() + " was issued before credentials named their"
                            + " account; ask for a new one");
        }
        return Optional.of(new Holder(h.username(), h.account()));
    }

    private RefusedCredentialException refused(
            DatabaseCredentialStore.Holder h, String target, String code, String issuedFor, String message) {
        audit.append(new AuditEvent(
                clock.instant(),
                h.username(),
                "db.credential.refused",
                "database_credential",
                h.username(),
                Map.of("target", target, "code", code, "issuedFor", issuedFor)));
        return new RefusedCredentialException(code, message);
    }

    @Scheduled(
            every = "1h",
            delayed = "1m",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            executeWith = Scheduled.SIMPLE)
    void purge() {
        store.purgeExpired(clock.instant().minus(Duration.ofDays(1)));
    }

    static byte[] hash(String credential) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(credential.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
