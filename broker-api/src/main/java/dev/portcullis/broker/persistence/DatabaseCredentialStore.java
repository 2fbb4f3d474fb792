package dev.portcullis.broker.persistence;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

/**
 * The {@code database_credential} table: hashes of issued database credentials, whose they are, for which target
 * and until when.
 * Shared by every broker replica, so a credential one replica issued is known to all.
 */
@ApplicationScoped
public class DatabaseCredentialStore {

    @Inject
    EntityManager em;

    /** Whose a credential is and the one target it is for (null for one issued before credentials named one). */
    public record Holder(String username, String target) {
    }

    @Transactional
    public void save(byte[] hash, String username, String target, Instant issuedAt, Instant expiresAt) {
        em.createNativeQuery("insert into database_credential"
                        + " (credential_hash, username, target, issued_at, expires_at) values (?1, ?2, ?3, ?4, ?5)")
                .setParameter(1, hash).setParameter(2, username).setParameter(3, target).setParameter(4, issuedAt)
                .setParameter(5, expiresAt).executeUpdate();
    }

    /** Whose the credential is and for which target, if it has not expired at {@code now}. */
    @Transactional
    public Optional<Holder> holder(byte[] hash, Instant now) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("select username, target from database_credential"
                        + " where credential_hash = ?1 and expires_at > ?2")
                .setParameter(1, hash).setParameter(2, now).getResultList();
        return rows.stream().findFirst().map(r -> new Holder(r[0].toString(), r[1] == null ? null : r[1].toString()));
    }

    /** Forgets credentials that expired before {@code cutoff}; returns how many. */
    @Transactional
    public int purgeExpired(Instant cutoff) {
        return em.createNativeQuery("delete from database_credential where expires_at < ?1").setParameter(1, cutoff).executeUpdate();
    }
}
