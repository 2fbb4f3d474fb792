package dev.portcullis.bastion.broker;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

import dev.portcullis.bastion.live.LiveView;
import dev.portcullis.bastion.live.LiveViews;

/** Sends a watched session's frames to the broker ({@code POST /internal/v1/sessions/{id}/live}). */
public final class BrokerLiveSink implements LiveViews.Sink {

    private final BrokerClient broker;

    public BrokerLiveSink(BrokerClient broker) {
        this.broker = broker;
    }

    @Override
    public List<String> send(UUID session, List<LiveView.Frame> frames) throws IOException {
        JsonNode answer = broker.post("/internal/v1/sessions/" + session + "/live", Map.of("frames", frames));
        List<String> watchers = new ArrayList<>();
        answer.path("watchers").forEach(w -> watchers.add(w.asText()));
        return watchers;
    }
}
