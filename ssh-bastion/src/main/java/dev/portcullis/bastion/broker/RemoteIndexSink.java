package dev.portcullis.bastion.broker;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

import dev.portcullis.bastion.index.IndexEntry;
import dev.portcullis.bastion.index.IndexSink;

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
        List<Map<String, Object>> body = new ArrayList<>(entries.size());
        for (IndexEntry e : entries) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("session", e.session().toString());
            entry.put("offsetMicros", e.offsetMicros());
            entry.put("kind", e.kind().wire());
            entry.put("text", e.text());
            if (e.detail() != null) {
                entry.put("detail", e.detail());
            }
            body.add(entry);
        }
        JsonNode answer;
        try {
            answer = broker.post("/internal/v1/search/entries", Map.of("entries", body));
        } catch (BrokerClient.BrokerException e) {
            if (e.status() >= 400 && e.status() < 500 && e.status() != 408 && e.status() != 429) {
                throw new RefusedException(e.getMessage(), e);
            }
            throw e;
        }
        Set<UUID> unknown = new HashSet<>();
        if (answer != null) {
            for (JsonNode id : answer.path("unknownSessions")) {
                unknown.add(UUID.fromString(id.asText()));
            }
        }
        return unknown;
    }
}
