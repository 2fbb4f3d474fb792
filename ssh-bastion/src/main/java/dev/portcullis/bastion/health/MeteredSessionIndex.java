package dev.portcullis.bastion.health;

import dev.portcullis.workflow.port.SessionIndex;

/**
 * Counts sessions as they enter and leave the index: open and started by protocol, ended by status, bytes. A session
 * the index would not take is refused by the bastion, and counted so ("index_unavailable").
 */
public record MeteredSessionIndex(SessionIndex index, BastionMetrics metrics) implements SessionIndex {

    @Override
    public void opened(Opened session) {
        try {
            index.opened(session);
        } catch (RuntimeException e) {
            metrics.sessionRefused(session.protocol(), "index_unavailable");
            throw e;
        }
        metrics.sessionStarted(session.sessionId(), session.protocol());
    }

    @Override
    public void closed(Closed session) {
        metrics.sessionEnded(session.sessionId(), session.status(), session.bytesIn(), session.bytesOut());
        index.closed(session);
    }
}
