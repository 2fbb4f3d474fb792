package dev.portcullis.bastion;

import dev.portcullis.workflow.port.SessionIndex;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** The session index as a list, for the bastion's tests (the broker's JPA adapter is tested in broker-api). */
final class MemorySessionIndex implements SessionIndex {

    final List<Opened> opened = new CopyOnWriteArrayList<>();
    final Map<UUID, Closed> closed = new ConcurrentHashMap<>();

    @Override
    public void opened(Opened session) {
        opened.add(session);
    }

    @Override
    public void closed(Closed session) {
        closed.putIfAbsent(session.sessionId(), session);
    }

    /** The newest session opened, waiting a little for the first. */
    Opened lastOpened() throws InterruptedException {
        for (int i = 0; i < 100 && opened.isEmpty(); i++) {
            Thread.sleep(50);
        }
        return opened.get(opened.size() - 1);
    }

    /** Waits (10 s at most) until the session's end is entered. */
    Closed awaitClosed(UUID session) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            Closed c = closed.get(session);
            if (c != null) {
                return c;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("session " + session + " never closed in the index");
    }
}
