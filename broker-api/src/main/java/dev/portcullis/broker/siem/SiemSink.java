package dev.portcullis.broker.siem;

import java.io.IOException;
import java.util.List;

/**
 * One destination of the SIEM stream. {@link #deliver} returns only once the sink has taken the whole batch (its
 * acknowledgement, or for syslog over TCP a successful flush and a live connection after it); it throws otherwise, and
 * the batch is sent again, whole, later. So each row arrives at least once, in order; the receiver drops a sequence
 * number it has already seen.
 */
public interface SiemSink extends AutoCloseable {

    /** The cursor's key in {@code siem_cursor}: syslog, hec or bulk. */
    String name();

    void deliver(List<AuditRow> batch) throws IOException;

    @Override
    void close();
}
