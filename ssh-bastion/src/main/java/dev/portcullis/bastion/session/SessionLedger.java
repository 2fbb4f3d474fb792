package dev.portcullis.bastion.session;

import dev.portcullis.bastion.live.LiveView;
import dev.portcullis.recording.RecordingFailedException;
import dev.portcullis.recording.RecordingMetadata;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.workflow.grant.ActiveGrant;
import dev.portcullis.workflow.port.SessionIndex;
import dev.portcullis.workflow.port.SessionStatus;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The bookkeeping every recorded channel shares, shell, exec, SFTP or forwarded connection alike: its recording,
 * its entry in the session index, its place among its grant's live sessions, and how all three end.
 */
public final class SessionLedger {

    public static final String RECORDING_FAILED = "the session recording could not be stored, so the session is closed";

    /** Records what is only known at the end (files still open, scp totals, a forward's byte counts). */
    public interface LastWords {
        void record(SessionRecording recording) throws RecordingFailedException;
    }

    private static final Logger LOG = Logger.getLogger(SessionLedger.class.getName());

    public final AtomicLong bytesIn = new AtomicLong();
    public final AtomicLong bytesOut = new AtomicLong();
    private final UUID id;
    private final SessionServices services;
    private final LiveSession owner;
    private volatile SessionRecording recording;
    private volatile ActiveGrant grant;
    private volatile boolean indexed;
    private volatile LiveView live;

    public SessionLedger(SessionServices services, LiveSession owner) {
        this.id = UUID.randomUUID();
        this.services = services;
        this.owner = owner;
    }

    /** Starts the recording. A store that fails, now or later, pauses new sessions and ends this one. */
    public SessionRecording startRecording(RecordingMetadata metadata) throws RecordingFailedException {
        try {
            recording = services.recordings().start(metadata, failure -> {
                services.recordingHealth().failed();
                owner.end(SessionStatus.RECORDING_FAILED, RECORDING_FAILED);
            });
            return recording;
        } catch (RecordingFailedException | RuntimeException e) {
            services.recordingHealth().failed();
            throw e;
        }
    }

    /**
     * Enters the session in the index, then among its grant's live sessions (whose end ends it).
     *
     * @throws RuntimeException when the index cannot be written; the session must then be refused
     */
    public void opened(
            String person, String target, String login, String protocol, String clientAddress, ActiveGrant active) {
        services.index()
                .opened(new SessionIndex.Opened(
                        id,
                        active.requestId(),
                        person,
                        target,
                        login,
                        protocol,
                        recording.id(),
                        services.bastionName(),
                        clientAddress,
                        services.clock().instant()));
        indexed = true;
        grant = active;
        live = services.live().views().opened(id, owner, recording, 80, 24);
        services.live().register(active, owner);
    }

    /** The session as its live watchers see it; null before {@link #opened}. */
    public LiveView live() {
        return live;
    }

    public UUID id() {
        return id;
    }

    public SessionRecording recording() {
        return recording;
    }

    public ActiveGrant grant() {
        return grant;
    }

    /** Closes a recording whose session never started. */
    public void abandon(String why) {
        SessionRecording r = recording;
        if (r != null) {
            try {
                r.close(why, null);
            } catch (RecordingFailedException e) {
                LOG.fine(() -> "abandoned recording not closed: " + e.getMessage());
            }
            recording = null;
        }
    }

    /** Ends all three: the live-session entry, the recording (after its last words), the index entry. */
    public void close(SessionStatus status, String detail, Integer exitStatus, LastWords last) {
        ActiveGrant g = grant;
        if (g != null) {
            services.live().unregister(g.requestId(), owner);
        }
        if (live != null) {
            services.live().views().closed(id);
        }
        SessionStatus finalStatus = status;
        SessionRecording r = recording;
        if (r != null) {
            try {
                if (last != null) {
                    last.record(r);
                }
                r.close(detail == null ? "closed" : detail, exitStatus);
            } catch (RecordingFailedException e) {
                finalStatus = SessionStatus.RECORDING_FAILED;
                LOG.warning("recording " + r.id() + " could not be closed: " + e.getMessage());
            }
        }
        if (indexed) {
            try {
                services.index()
                        .closed(new SessionIndex.Closed(
                                id, services.clock().instant(), bytesIn.get(), bytesOut.get(), finalStatus, detail));
            } catch (RuntimeException e) {
                LOG.warning("session " + id + " end not entered in the index: " + e.getMessage());
            }
        }
        services.live().settled(owner);
    }
}
