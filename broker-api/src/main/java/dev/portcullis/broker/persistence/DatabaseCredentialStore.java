package dev.portcullis.broker.persistence;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

/**
 * The {@code database_credential} table: hashes of issued database credentials, whose they are and until when.
 * Shared by every broker replica, so a credential one replica issued is known to all.
 */
@ApplicationScoped
public class DatabaseCredentialStore {

    @Inject
    EntityManager em;

    @Transactional
    public void save(byte[] hash, String username, Instant issuedAt, Instant expiresAt) {
        em.createNativeQuery("insert into database_credential (credential_hash, username, issued_at, expires_at) values (?1, ?2, ?3, ?4)")
                .setParameter(1, hash).setParameter(2, username).setParameter(3, issuedAt).setParameter(4, expiresAt)
                .executeUpdate();
    }

    /** Whose the credential is, if it has not expired at {@code now}. */
    @Transactional
    public Optional<String> holder(byte[] hash, Instant now) {
        @SuppressWarnings("unchecked")
        List<Object> rows = em.createNativeQuery("select username from database_credential where credential_hash = ?1 and expires_at > ?2")
                .setParameter(1, hash).setParameter(2, now).getResultList();
        return rows.stream().findFirst().map(Object::toString);
    }

    /** Forgets credentials that expired before {@code cutoff}; returns how many. */
    @Transactional
    public int purgeExpired(Instant cutoff) {
        return em.createNativeQuery("delete from database_credential where expires_at < ?1").setParameter(1, cutoff).executeUpdate();
    }
}
