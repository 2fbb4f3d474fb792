package dev.portcullis.bastion.broker;

import dev.portcullis.bastion.live.LiveView;
import dev.portcullis.bastion.live.LiveViews;
import dev.portcullis.contract.BastionApi.Frame;
import dev.portcullis.contract.BastionApi.Frames;
import dev.portcullis.contract.BastionApi.Watchers;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Sends a watched session's frames to the broker ({@code POST /internal/v1/sessions/{id}/live}). */
public final class BrokerLiveSink implements LiveViews.Sink {

    private final BrokerClient broker;

    public BrokerLiveSink(BrokerClient broker) {
        this.broker = broker;
    }

    @Override
    public List<String> send(UUID session, List<LiveView.Frame> frames) throws IOException {
        Frames body = new Frames(
                frames.stream().map(f -> new Frame(f.at(), f.kind(), f.data())).toList());
        Watchers answer = broker.post("/internal/v1/sessions/" + session + "/live", body, Watchers.class);
        return answer == null || answer.watchers() == null ? new ArrayList<>() : new ArrayList<>(answer.watchers());
    }
}
