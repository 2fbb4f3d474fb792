package dev.portcullis.broker.persistence;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The {@code database_credential} table: hashes of issued database credentials, whose they are (name and Keycloak
 * account), for which target and until when.
 * Shared by every broker replica, so a credential one replica issued is known to all.
 */
@ApplicationScoped
public class DatabaseCredentialStore {

    @Inject
    EntityManager em;

    /**
     * Whose a credential is, the account it was issued to (null for one issued before credentials named their account,
     * V19) and the one target it is for (null for one issued before credentials named one, V12).
     */
    public record Holder(String username, String account, String target) {}

    @Transactional
    public void save(byte[] hash, String username, String account, String target, Instant issuedAt, Instant expiresAt) {
        em.createNativeQuery("insert into database_credential (credential_hash, username, account, target, issued_at,"
                        + " expires_at) values (?1, ?2, ?3, ?4, ?5, ?6)")
                .setParameter(1, hash)
                .setParameter(2, username)
                .setParameter(3, account)
                .setParameter(4, target)
                .setParameter(5, issuedAt)
                .setParameter(6, expiresAt)
                .executeUpdate();
    }

    /** Whose the credential is and for which target, if it has not expired at {@code now}. */
    @Transactional
    public Optional<Holder> holder(byte[] hash, Instant now) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("select username, account, target from database_credential"
                        + " where credential_hash = ?1 and expires_at > ?2")
                .setParameter(1, hash)
                .setParameter(2, now)
                .getResultList();
        return rows.stream().findFirst().map(r -> new Holder(r[0].toString(), text(r[1]), text(r[2])));
    }

    private static String text(Object column) {
        return column == null ? null : column.toString();
    }

    /** Forgets credentials that expired before {@code cutoff}; returns how many. */
    @Transactional
    public int purgeExpired(Instant cutoff) {
        return em.createNativeQuery("delete from database_credential where expires_at < ?1")
                .setParameter(1, cutoff)
                .executeUpdate();
    }
}
