package dev.portcullis.broker.persistence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.hibernate.Session;

/**
 * The audit trail in PostgreSQL. Each row's hash covers its own canonical content and the previous
 * row's hash; the single {@code audit_head} row is locked while a row is chained (at its transaction's commit),
 * so the chain stays linear and its ids gapless however many broker threads or replicas write at once.
 */
@ApplicationScoped
public class HashChainedAuditLog implements AuditSink {

    public static final String GENESIS = "0".repeat(64);

    /** Canonical JSON: keys sorted, so the same details always hash the same. */
    private static final ObjectMapper CANONICAL =
            new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    @Inject
    EntityManager em;

    @Inject
    SignedAuditHeads signedHeads;

    /**
     * An audit row waits in {@code audit_pending} until its transaction commits; then a deferred trigger in PostgreSQL
     * (V8) locks the head, inserts the row into {@code audit_log} with its id and with its hash computed by PostgreSQL from
     * the head's id and hash, and moves the head. {@link #hashOf} is the same function in Java, which {@link #verify()}
     * uses; the middle fields are put in canonical form here, so only ids and hashes (ASCII) are framed in SQL.
     */
    static final String APPEND =
            "insert into audit_pending (at, actor, action, subject_type, subject_id, details, canonical)"
                    + " values (?, ?, ?, ?, ?, ?, ?)";

    /**
     * Joins the caller's transaction when there is one, so an audit row commits or rolls back with what it records. The
     * row is chained when that transaction commits, in the order transactions commit; until then no lock is held, so
     * callers may append at any point of their transaction.
     */
    @Override
    @Transactional
    @io.micrometer.core.annotation.Timed(value = "portcullis.audit.append", description = "Appending one audit row")
    public void append(AuditEvent event) {
        em.unwrap(Session.class).doWork(connection -> append(connection, event));
    }

    /** The same, on a connection of the caller's transaction, for callers that write with plain JDBC. */
    public void append(Connection connection, AuditEvent event) throws SQLException {
        try (PreparedStatement append = connection.prepareStatement(APPEND)) {
            bindAppend(new StatementParameters(append), event);
            append.executeUpdate();
        }
    }

    /** Binds {@link #APPEND}'s seven parameters, next in {@code append} (which may be a larger statement). */
    static void bindAppend(StatementParameters append, AuditEvent event) throws SQLException {
        Instant at = event.at()
                .truncatedTo(ChronoUnit.MICROS); // what PostgreSQL keeps; the hash must survive the round trip
        String details = canonicalJson(event.details());
        append.object(OffsetDateTime.ofInstant(at, ZoneOffset.UTC))
                .string(event.actor())
                .string(event.action())
                .string(event.subjectType())
                .string(event.subjectId())
                .string(details)
                .string(canonical(
                        at.toString(), event.actor(), event.action(), event.subjectType(), event.subjectId(), details));
    }

    /** Newest first, optionally filtered. */
    @Transactional
    public List<AuditRecord> list(Long beforeId, String actor, String action, String subjectId, int limit) {
        StringBuilder jpql = new StringBuilder("from AuditEntryEntity a where 1 = 1");
        if (beforeId != null) jpql.append(" and a.id < :beforeId");
        if (actor != null) jpql.append(" and a.actor = :actor");
        if (action != null) jpql.append(" and a.action = :action");
        if (subjectId != null) jpql.append(" and a.subjectId = :subjectId");
        jpql.append(" order by a.id desc");
        var query = em.createQuery(jpql.toString(), AuditEntryEntity.class).setMaxResults(limit);
        if (beforeId != null) query.setParameter("beforeId", beforeId);
        if (actor != null) query.setParameter("actor", actor);
        if (action != null) query.setParameter("action", action);
        if (subjectId != null) query.setParameter("subjectId", subjectId);
        return query.getResultList().stream().map(HashChainedAuditLog::toRecord).toList();
    }

    /** Oldest first from {@code afterId}, for export. */
    @Transactional
    public List<AuditRecord> page(long afterId, int limit) {
        return em
                .createQuery("from AuditEntryEntity a where a.id > :after order by a.id", AuditEntryEntity.class)
                .setParameter("after", afterId)
                .setMaxResults(limit)
                .getResultList()
                .stream()
                .map(HashChainedAuditLog::toRecord)
                .toList();
    }

    /** The whole trail as JSON Lines, oldest first, read a page at a time (the API's and the web UI's export). */
    public void writeJsonLines(OutputStream out, ObjectMapper json) throws IOException {
        long after = 0;
        while (true) {
            List<AuditRecord> records = page(after, 1000);
            for (AuditRecord record : records) {
                out.write(json.writeValueAsString(record).getBytes(StandardCharsets.UTF_8));
                out.write('\n');
                after = record.id();
            }
            if (records.size() < 1000) {
                break;
            }
        }
        out.flush();
    }

    /**
     * Walks the whole chain and reports the first row that does not fit, and checks it against the newest head signed
     * outside the database ({@link SignedAuditHeads}): a chain rewritten consistently, or cut short, by someone with
     * database rights no longer has the signed hash at the signed row.
     */
    @Transactional
    public ChainVerification verify() {
        return verifyAfter(0, GENESIS);
    }

    /**
     * Walks the chain from the row after {@code verifiedId}, taking rows up to it as verified with {@code verifiedHash}
     * as the last one's hash: for checks that remember what they verified before ({@link IncrementalChainCheck}). A change
     * to a row at or before {@code verifiedId} is seen only when it breaks the link to the next row; {@link #verify()}
     * sees every change.
     */
    @Transactional
    public ChainVerification verifyAfter(long verifiedId, String verifiedHash) {
        // read before the chain: the chain only grows, so it holds at least every row the signed head covers
        SignedAuditHeads.Newest newest = signedHeads.newest();
        if (newest.problem() != null) {
            return ChainVerification.broken(0, 0, newest.problem());
        }
        SignedAuditHeads.SignedHead signed = newest.head().orElse(null);
        long expectedId = verifiedId + 1;
        String previous = verifiedHash;
        while (true) {
            List<AuditEntryEntity> rows = em.createQuery(
                            "from AuditEntryEntity a where a.id >= :from order by a.id", AuditEntryEntity.class)
                    .setParameter("from", expectedId)
                    .setMaxResults(1000)
                    .getResultList();
            for (AuditEntryEntity row : rows) {
                em.detach(row);
                if (row.id != expectedId) {
                    return ChainVerification.broken(expectedId - 1, expectedId, "row " + expectedId + " is missing");
                }
                if (!row.prevHash.trim().equals(previous)) {
                    return ChainVerification.broken(
                            expectedId - 1, row.id, "row " + row.id + " does not link to the row before it");
                }
                if (!hashOf(row).equals(row.hash.trim())) {
                    return ChainVerification.broken(
                            expectedId - 1, row.id, "row " + row.id + " was changed after it was written");
                }
                if (signed != null
                        && row.id == signed.lastId()
                        && !row.hash.trim().equals(signed.lastHash())) {
                    return ChainVerification.broken(
                            0,
                            row.id,
                            "the chain up to row " + row.id + " is not the one signed at " + signed.signedAt()
                                    + " (rewritten in the database)");
                }
                previous = row.hash.trim();
                expectedId++;
            }
            if (rows.size() < 1000) {
                break;
            }
        }
        Object[] head = (Object[]) em.createNativeQuery("select last_id, last_hash from audit_head where singleton")
                .getSingleResult();
        long lastId = ((Number) head[0]).longValue();
        if (lastId != expectedId - 1 || !((String) head[1]).trim().equals(previous)) {
            return ChainVerification.broken(expectedId - 1, lastId, "the newest rows up to " + lastId + " are missing");
        }
        if (signed != null && signed.lastId() > expectedId - 1) {
            return ChainVerification.broken(
                    expectedId - 1,
                    expectedId,
                    "rows " + expectedId + " to " + signed.lastId() + " are missing: the head signed at "
                            + signed.signedAt() + " has " + signed.lastId() + " rows");
        }
        return ChainVerification.valid(expectedId - 1, previous, expectedId - 1 - verifiedId, signed);
    }

    static String hashOf(AuditEntryEntity row) {
        // Length-prefixed fields: no choice of separator inside a value can make two rows hash alike.
        String canonical = canonical(String.valueOf(row.id))
                + canonical(
                        row.at.truncatedTo(ChronoUnit.MICROS).toString(),
                        row.actor,
                        row.action,
                        row.subjectType,
                        row.subjectId,
                        row.details)
                + canonical(row.prevHash.trim());
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha256.digest(canonical.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** {@code length:value;} for each field, the length in UTF-16 units as Java counts it. */
    private static String canonical(String... fields) {
        StringBuilder canonical = new StringBuilder();
        for (String field : fields) {
            canonical.append(field.length()).append(':').append(field).append(';');
        }
        return canonical.toString();
    }

    private static String canonicalJson(Map<String, String> details) {
        try {
            return CANONICAL.writeValueAsString(new TreeMap<>(details));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("string maps always serialise", e);
        }
    }

    private static AuditRecord toRecord(AuditEntryEntity e) {
        Map<String, String> details;
        try {
            details = CANONICAL.readValue(e.details, new TypeReference<TreeMap<String, String>>() {});
        } catch (JsonProcessingException ex) {
            details = Map.of("unreadable", e.details);
        }
        return new AuditRecord(
                e.id, e.at, e.actor, e.action, e.subjectType, e.subjectId, details, e.prevHash.trim(), e.hash.trim());
    }

    public record AuditRecord(
            long id,
            Instant at,
            String actor,
            String action,
            String subjectType,
            String subjectId,
            Map<String, String> details,
            String prevHash,
            String hash) {}

    /**
     * @param intactRows   rows from the start of the chain that verified
     * @param brokenAt     id of the first row that did not, or null when valid
     * @param checkedRows  of a valid verification, the rows it hashed (all, unless it went on from a verified prefix)
     * @param signedHeadId rows of the newest head signed outside the database that the chain matched; null if none
     */
    public record ChainVerification(
            boolean valid,
            long intactRows,
            Long brokenAt,
            String problem,
            String headHash,
            long checkedRows,
            Long signedHeadId,
            Instant signedHeadAt) {
        static ChainVerification valid(long rows, String head, long checked, SignedAuditHeads.SignedHead signed) {
            return new ChainVerification(
                    true,
                    rows,
                    null,
                    null,
                    head,
                    checked,
                    signed == null ? null : signed.lastId(),
                    signed == null ? null : signed.signedAt());
        }

        static ChainVerification broken(long intact, long at, String problem) {
            return new ChainVerification(false, intact, at, problem, null, 0, null, null);
        }
    }
}
