package dev.portcullis.broker.persistence;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

/**
 * Serial numbers for SSH certificates from one PostgreSQL sequence, so every certificate any broker replica
 * signs has its own serial (what a key revocation list names, and what the audit trail records).
 */
@ApplicationScoped
public class CertificateSerials {

    @Inject
    EntityManager em;

    @Transactional
    public long next() {
        return ((Number) em.createNativeQuery("select nextval('ssh_certificate_serial')")
                        .getSingleResult())
                .longValue();
    }
}
