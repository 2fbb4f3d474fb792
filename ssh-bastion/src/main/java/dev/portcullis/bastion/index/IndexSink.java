package dev.portcullis.bastion.index;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Where index entries go: the broker's internal API ({@code RemoteIndexSink}), or a benchmark's counter. */
public interface IndexSink {

    /**
     * Stores the entries of sessions the receiver knows.
     *
     * @return the sessions it does not know (yet: a session's entries may arrive before its registration)
     * @throws IOException       the receiver was not reached or failed; the same entries may be sent again
     * @throws RefusedException  the receiver refused the batch; sending it again cannot help
     */
    Set<UUID> send(List<IndexEntry> entries) throws IOException;

    final class RefusedException extends IOException {
        public RefusedException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
