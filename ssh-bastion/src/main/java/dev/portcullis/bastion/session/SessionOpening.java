package dev.portcullis.bastion.session;

import dev.portcullis.recording.RecordingFailedException;
import dev.portcullis.recording.RecordingMetadata;
import dev.portcullis.recording.SessionRecording;
import dev.portcullis.workflow.grant.ActiveGrant;
import dev.portcullis.workflow.port.GrantAuthority;
import dev.portcullis.workflow.port.GrantAuthority.Allowed;
import dev.portcullis.workflow.port.GrantAuthority.Decision;
import dev.portcullis.workflow.port.GrantAuthority.Refused;
import java.io.IOException;
import java.util.logging.Logger;

/**
 * How every session of this bastion opens, SSH channel, forwarded connection or database session alike: the broker
 * decides, the protocol checks what it alone knows, the recording store must be healthy, the recording starts, the
 * session enters the index and its grant's live sessions. Written once, so that the protocols cannot drift apart on
 * any of these steps; each protocol only words its refusals ({@link Protocol}) and then connects upstream.
 */
public final class SessionOpening {

    /** Which shared step refused the session; each protocol words it its own way (an SQLSTATE, an open failure). */
    public enum Step {
        AUTHORITY_UNAVAILABLE,
        NO_GRANT,
        RECORDING_UNAVAILABLE,
        INDEX_UNAVAILABLE
    }

    public static final String AUTHORITY_UNAVAILABLE =
            "the broker cannot be reached, so no session can be authorized right now; try again shortly";
    public static final String RECORDING_UNAVAILABLE =
            "session recordings cannot be stored right now, so sessions are refused; tell an operator";
    public static final String INDEX_UNAVAILABLE =
            "the broker cannot enter the session in its index right now; try again shortly";

    /** What one protocol adds to the flow. */
    public interface Protocol {

        /** Tells the user, in this protocol's way, that the session is refused and why; the flow undid its part. */
        void refuse(Step step, String message) throws IOException;

        /**
         * The protocol's own checks once the grant is known (credentials in the inventory, ...), after refusing
         * itself when one fails.
         *
         * @return false when the session is refused
         */
        boolean admits(ActiveGrant grant) throws IOException;

        /** Adds the title and what this protocol's recording says beyond who, where and under which grant. */
        void describe(RecordingMetadata.Builder metadata, ActiveGrant grant);

        /** Records what comes first in the recording (an exec's command line). */
        default void started(SessionRecording recording) throws RecordingFailedException {}

        /** Whether the session has already ended (its grant ended while it was opening). */
        boolean ended();
    }

    /**
     * Who asks for what, and how the session enters the index.
     *
     * @param protocol      as in the session index: ssh, postgres
     * @param clientAddress the user's address as the index shows it
     */
    public record Request(GrantAuthority.Ask ask, String protocol, String clientAddress) {}

    private static final Logger LOG = Logger.getLogger(SessionOpening.class.getName());

    private SessionOpening() {}

    /**
     * Runs every shared step of opening a session.
     *
     * @return the grant when the session is open, recorded and indexed, and the protocol may connect upstream; null
     *         when it is refused (the user has been told) or already ended
     */
    public static ActiveGrant open(SessionServices services, SessionLedger ledger, Request request, Protocol protocol)
            throws IOException {
        GrantAuthority.Ask ask = request.ask();
        String what = ask.login() + "@" + ask.target() + " for " + ask.username();
        Decision decision;
        try {
            decision = services.authority().authorize(ask);
        } catch (GrantAuthority.AuthorityUnavailableException e) {
            LOG.warning("broker unreachable, refusing " + what + ": " + e.getMessage());
            protocol.refuse(Step.AUTHORITY_UNAVAILABLE, AUTHORITY_UNAVAILABLE);
            return null;
        }
        if (decision instanceof Refused refused) {
            LOG.info(() -> "refusing " + ask.use() + " of " + what + ": " + refused.message());
            protocol.refuse(Step.NO_GRANT, refused.message() + "; request one at " + services.portalUrl());
            return null;
        }
        ActiveGrant grant = ((Allowed) decision).grant();
        if (!protocol.admits(grant)) {
            return null;
        }
        if (services.recordingHealth().refusing()) {
            protocol.refuse(Step.RECORDING_UNAVAILABLE, RECORDING_UNAVAILABLE);
            return null;
        }
        RecordingMetadata.Builder metadata = services.recordings()
                .newMetadata()
                .attribute("user", ask.username())
                .attribute("login", ask.login())
                .attribute("target", ask.target())
                .attribute("grant", grant.requestId().toString())
                .attribute("session", ledger.id().toString())
                .attribute("bastion", services.bastionName());
        protocol.describe(metadata, grant);
        try {
            protocol.started(ledger.startRecording(metadata.build()));
        } catch (RecordingFailedException | RuntimeException e) {
            LOG.warning("recording could not start, refusing " + what + ": " + e.getMessage());
            ledger.abandon("recording could not start");
            protocol.refuse(Step.RECORDING_UNAVAILABLE, RECORDING_UNAVAILABLE);
            return null;
        }
        try {
            ledger.opened(
                    ask.username(), ask.target(), ask.login(), request.protocol(), request.clientAddress(), grant);
        } catch (RuntimeException e) {
            LOG.warning("session index unavailable, refusing " + what + ": " + e.getMessage());
            ledger.abandon("session index unavailable");
            protocol.refuse(Step.INDEX_UNAVAILABLE, INDEX_UNAVAILABLE);
            return null;
        }
        return protocol.ended() ? null : grant;
    }
}
