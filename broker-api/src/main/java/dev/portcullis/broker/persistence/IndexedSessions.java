package dev.portcullis.broker.persistence;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Reads of the session index, for what shows sessions (the web pages): a port, so a page depends on what it reads
 * rather than on how the index is stored ({@link JpaSessionIndex} is the adapter).
 */
public interface IndexedSessions {

    /** Every status a session can have, in the order a filter lists them. */
    List<String> statuses();

    Optional<IndexedSession> find(UUID id);

    /** Newest first; null filters do not filter. */
    List<IndexedSession> list(String username, String target, String status, int limit);
}
