package dev.portcullis.recording.event;

import java.util.Objects;

/**
 * A TCP connection forwarded through the session ({@code ssh -L} / {@code -D}), allowed by the policy. The bytes
 * are counted, not kept: what flows through a forward is another protocol the recording cannot read.
 *
 * @param origin where the user's side of the connection came from, as the client reported it
 */
public record ForwardEvent(String host, int port, String origin, long bytesToTarget, long bytesFromTarget)
        implements StructuredEvent {

    public ForwardEvent {
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535 || bytesToTarget < 0 || bytesFromTarget < 0) {
            throw new IllegalArgumentException("port must be 0-65535 and byte counts not negative");
        }
    }
}
