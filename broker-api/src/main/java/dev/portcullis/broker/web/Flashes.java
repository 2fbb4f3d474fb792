package dev.portcullis.broker.web;

import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.policy.Durations;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.RequestState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;
import java.net.URI;

/** What a page says after a form was sent: the redirect that carries what was done, and its message. */
@ApplicationScoped
public class Flashes {

    @Inject
    AccessWorkflow workflow;

    /**
     * After a form: back to a page (Post/Redirect/Get, so reloading never repeats an action) that says what was done.
     * The address carries only what was done and to which request; the page words the message from the request
     * itself, so a crafted link cannot make Portcullis display text of someone else's choosing.
     */
    static Response seeOther(String path, String done, java.util.UUID request) {
        return Response.seeOther(URI.create(path + "?done=" + done + "&request=" + request))
                .build();
    }

    /** The message for {@link #seeOther}, or null when there is nothing (or nothing visible to the viewer) to say. */
    Views.Flash flash(String done, String requestId, Actor viewer) {
        if (done == null || requestId == null) {
            return null;
        }
        java.util.UUID id;
        try {
            id = java.util.UUID.fromString(requestId);
        } catch (IllegalArgumentException e) {
            return null;
        }
        AccessRequest r = workflow.find(id)
                .filter(found -> workflow.canView(found, viewer))
                .orElse(null);
        if (r == null) {
            return null;
        }
        String what = r.login() + " on " + r.target();
        String text = switch (done) {
            case "requested" ->
                "Requested " + what + " for " + Durations.format(r.duration()) + "; approvers have been asked.";
            case "released" -> "Released your grant for " + what + "; its sessions are closed.";
            case "withdrawn" -> "Withdrew your request for " + what + ".";
            case "approved" ->
                "Approved " + r.requester() + "'s request for " + what
                        + (r.state() == RequestState.ACTIVE
                                ? "; that was the last approval needed, the grant is active."
                                : "; " + r.approvalCount() + " approval" + (r.approvalCount() == 1 ? "" : "s")
                                        + " so far.");
            case "denied" -> "Denied " + r.requester() + "'s request for " + what + ".";
            case "revoked" ->
                "Revoked " + r.requester() + "'s grant for " + what + "; the bastion closes its live sessions now.";
            case "ended" ->
                "Ended one session of " + r.requester() + " on " + r.target() + "; the grant and other sessions stay.";
            case "ending" ->
                "Asked the bastion to end one session of " + r.requester() + " on " + r.target()
                        + "; it shows as TERMINATED once closed.";
            default -> null;
        };
        return text == null ? null : new Views.Flash(text, false);
    }
}
