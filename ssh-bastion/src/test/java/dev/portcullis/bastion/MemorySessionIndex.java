package dev.portcullis.bastion;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.portcullis.workflow.port.SessionIndex;

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
}
