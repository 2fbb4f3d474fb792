package dev.portcullis.broker.api;

import dev.portcullis.broker.live.LiveFrames;
import dev.portcullis.broker.persistence.IndexedSession;
import dev.portcullis.broker.persistence.JpaSessionIndex;
import dev.portcullis.contract.BastionApi.Frame;
import dev.portcullis.contract.BastionApi.Frames;
import dev.portcullis.contract.BastionApi.Watchers;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.request.Refusal;
import io.quarkus.security.Authenticated;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Where a bastion streams a watched session: terminal output (or statements) and size changes, a batch at a time.
 * The answer names who watches now; the bastion streams while someone does and records each watcher's start and
 * stop in the session's recording. Only the bastion client that registered the session may stream it.
 */
@Path("/internal/v1/sessions")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Internal (bastions)")
public class BastionLiveResource {

    static final int MAX_FRAMES = 1000;
    static final int MAX_CHARS = 1 << 20;
    private static final Set<String> KINDS = Set.of("o", "r");

    @Inject
    BastionGuard bastion;

    @Inject
    JpaSessionIndex sessions;

    @Inject
    LiveFrames live;

    @Inject
    AuditSink audit;

    @Inject
    Clock clock;

    @POST
    @Path("/{id}/live")
    @Operation(summary = "Frames of a watched session (possibly none); answers who watches it now")
    public Watchers frames(@PathParam("id") UUID id, Frames body) {
        bastion.require("stream live sessions");
        IndexedSession session = sessions.find(id)
                .orElseThrow(
                        () -> new RefusedException(Refusal.notFound("no_such_session", "there is no session " + id)));
        if (!bastion.clientId().equals(session.registeredBy())) {
            audit.append(new AuditEvent(
                    clock.instant(),
                    bastion.clientId(),
                    "session.live.refused",
                    "session",
                    id.toString(),
                    Map.of("reason", "registered by " + session.registeredBy())));
            throw new RefusedException(Refusal.forbidden(
                    "not_your_session",
                    "session " + id + " was registered by another bastion; only that one may stream it"));
        }
        List<LiveFrames.Frame> frames = new ArrayList<>();
        int chars = 0;
        for (Frame f : body == null || body.frames() == null ? List.<Frame>of() : body.frames()) {
            if (f == null || f.at() == null || !KINDS.contains(f.kind()) || f.data() == null) {
                throw new RefusedException(Refusal.invalid(
                        "bad_frame", "frames", "each frame needs at (an instant), kind (o or r) and data"));
            }
            chars += f.data().length();
            frames.add(new LiveFrames.Frame(0, f.at(), f.kind(), f.data()));
        }
        if (frames.size() > MAX_FRAMES || chars > MAX_CHARS) {
            throw new RefusedException(Refusal.invalid(
                    "too_many_frames",
                    "frames",
                    "at most " + MAX_FRAMES + " frames and " + MAX_CHARS + " characters in one batch"));
        }
        if (!session.isOpen()) {
            return new Watchers(List.of());
        }
        live.append(id, frames);
        return new Watchers(live.watchers(id));
    }
}
