package dev.portcullis.bastion.broker;

import dev.portcullis.bastion.index.IndexEntry;
import dev.portcullis.bastion.index.IndexSink;
import dev.portcullis.contract.BastionApi.Batch;
import dev.portcullis.contract.BastionApi.EntryBody;
import dev.portcullis.contract.BastionApi.Taken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * {@link IndexSink} over the broker's internal API ({@code POST /internal/v1/search/entries}), with the bastion's own
 * token: the broker takes entries only for sessions this bastion client registered.
 */
public final class RemoteIndexSink implements IndexSink {

    private final BrokerClient broker;

    public RemoteIndexSink(BrokerClient broker) {
        this.broker = broker;
    }

    @Override
    public Set<UUID> send(List<IndexEntry> entries) throws IOException {
        List<EntryBody> body = new ArrayList<>(entries.size());
        for (IndexEntry e : entries) {
            body.add(new EntryBody(
                    e.session().toString(), e.offsetMicros(), e.kind().wire(), e.text(), e.detail()));
        }
        Taken answer;
        try {
            answer = broker.post("/internal/v1/search/entries", new Batch(body), Taken.class);
        } catch (BrokerClient.BrokerException e) {
            if (e.status() >= 400 && e.status() < 500 && e.status() != 408 && e.status() != 429) {
                throw new RefusedException(e.getMessage(), e);
            }
            throw e;
        }
        Set<UUID> unknown = new HashSet<>();
        if (answer != null && answer.unknownSessions() != null) {
            for (String id : answer.unknownSessions()) {
                unknown.add(UUID.fromString(id));
            }
        }
        return unknown;
    }
}
