package dev.portcullis.broker.web;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.qute.Location;
import io.quarkus.qute.Template;

import dev.portcullis.broker.api.DatabaseResource;
import dev.portcullis.broker.identity.Caller;
import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.policy.AccessRule;
import dev.portcullis.workflow.policy.Durations;
import dev.portcullis.workflow.policy.PolicySet;
import dev.portcullis.workflow.policy.TargetKind;
import dev.portcullis.workflow.port.IdentityDirectory;
import dev.portcullis.workflow.port.JitGroups;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.Refusal;
import dev.portcullis.workflow.request.RequestState;
import dev.portcullis.workflow.request.Roles;
import dev.portcullis.workflow.request.SeparationOfDuties;

/** What every page needs: who is signed in, times and durations in words, request cards, and error pages. */
@ApplicationScoped
public class Pages {

    private static final Logger LOG = Logger.getLogger(Pages.class);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

    @Inject
    AccessWorkflow workflow;

    @Inject
    JitGroups directory;

    @Inject
    @Location("web/error.html")
    Template errorPage;

    @ConfigProperty(name = "portcullis.web.bastion-host")
    String bastionHost;

    @ConfigProperty(name = "portcullis.web.bastion-ssh-port")
    int bastionSshPort;

    /** Where people reach the bastions' PostgreSQL proxy: the same address the database credentials name. */
    @ConfigProperty(name = "portcullis.db.proxy-host")
    String databaseProxyHost;

    @ConfigProperty(name = "portcullis.db.proxy-port")
    int databaseProxyPort;

    Views.Me me(Caller caller) {
        Actor actor = caller.asTokenSays();
        PolicySet policy = workflow.policy();
        boolean approver = policy.rules().stream().anyMatch(r -> actor.isMemberOfAny(r.approverGroups()));
        boolean requester = !policy.optionsFor(actor.groups()).isEmpty();
        String groups = actor.groups().isEmpty() ? "no groups" : String.join(", ", new TreeSet<>(actor.groups()));
        return new Views.Me(actor.username(), groups, AccessWorkflow.isAuditor(actor), actor.groups().contains(Roles.ADMINS), approver, requester);
    }

    /** Refuses unless the caller is an auditor or admin; the 403 page names the groups. */
    void requireAuditor(Caller caller, String what) {
        if (!AccessWorkflow.isAuditor(caller.asTokenSays())) {
            throw new RefusedPage(Refusal.forbidden("missing_group", what + " are for members of the group " + Roles.AUDITORS + " or "
                    + Roles.ADMINS + ". You are signed in as " + caller.username() + " (" + me(caller).groups() + ")."));
        }
    }

    void requireAdmin(Caller caller, String what) {
        if (!caller.asTokenSays().groups().contains(Roles.ADMINS)) {
            throw new RefusedPage(Refusal.forbidden("missing_group", what + " needs membership of the group " + Roles.ADMINS
                    + ". You are signed in as " + caller.username() + " (" + me(caller).groups() + ")."));
        }
    }

    /**
     * @param approvers null to not list who may still approve; otherwise the members of approver groups read so far for
     *                  this page (group path to its members, empty when the read failed), shared by all its cards, so a
     *                  page asks Keycloak once per group however many cards it shows
     */
    Views.RequestCard card(AccessRequest r, Actor viewer, Instant now, Map<String, Optional<Set<String>>> approvers) {
        AccessRule rule = workflow.policy().rule(r.rule()).orElse(null);
        boolean canReview = rule != null && now.isBefore(r.pendingUntil()) && SeparationOfDuties.mayReview(r, viewer, rule);
        List<Views.ReviewLine> reviews = r.reviews().stream()
                .map(rv -> new Views.ReviewLine(rv.reviewer(), rv.decision() == dev.portcullis.workflow.request.Review.Decision.APPROVE
                        ? "approved" : "denied", nz(rv.comment()), time(rv.at())))
                .toList();
        String stillCanApprove = null;
        if (approvers != null && r.state() == RequestState.PENDING && rule != null) {
            stillCanApprove = stillCanApprove(r, rule, approvers);
        }
        Views.Connect connect = r.isLiveAt(now) && r.requester().equals(viewer.username()) ? connect(r) : null;
        return new Views.RequestCard(r.id().toString(), r.requester(), r.target(), r.kind().wireName(), r.login(),
                r.access().name().toLowerCase(Locale.ROOT), Durations.format(r.duration()), nz(r.reason()), nz(r.ticket()), r.state().name(),
                time(r.createdAt()), time(r.pendingUntil()), time(r.grantedAt()), time(r.endsAt()),
                r.endsAt() == null ? "" : r.endsAt().toString(), time(r.endedAt()), nz(r.endedBy()), nz(r.endReason()), reviews,
                r.approvalCount(), rule == null ? "?" : String.valueOf(rule.approvalsRequired()),
                rule == null ? "(rule removed from the policy)" : String.join(" or ", rule.sortedApproverGroups()), nz(stillCanApprove),
                r.requester().equals(viewer.username()), canReview, r.isLiveAt(now), connect);
    }

    /** Members of the rule's approver groups, asked live, less the requester and whoever reviewed already. */
    private String stillCanApprove(AccessRequest r, AccessRule rule, Map<String, Optional<Set<String>>> approvers) {
        Set<String> people = new TreeSet<>();
        for (String group : rule.sortedApproverGroups()) {
            Optional<Set<String>> members = approvers.computeIfAbsent(group, this::membersOrEmpty);
            if (members.isEmpty()) {
                return "members of " + String.join(" or ", rule.sortedApproverGroups()) + " other than you";
            }
            people.addAll(members.get());
        }
        people.remove(r.requester());
        r.reviews().forEach(rv -> people.remove(rv.reviewer()));
        return people.isEmpty() ? "nobody (no other member of " + String.join(" or ", rule.sortedApproverGroups()) + ")"
                : String.join(", ", people);
    }

    private Optional<Set<String>> membersOrEmpty(String group) {
        try {
            return Optional.of(directory.members(group));
        } catch (IdentityDirectory.DirectoryUnavailableException | IllegalStateException e) {
            LOG.debugf("cannot list the members of %s: %s", group, e.getMessage());
            return Optional.empty();
        }
    }

    /** The command for the grant's target kind, as the bastion's README gives it. */
    private Views.Connect connect(AccessRequest r) {
        if (r.kind() == TargetKind.POSTGRES) {
            String psql = DatabaseResource.connect(databaseProxyHost, databaseProxyPort, r.target(), r.login());
            return new Views.Connect("psql \"" + psql + "\"", "through the bastion's PostgreSQL proxy, which checks your"
                    + " grant and records every statement; the password is a one-hour database credential for "
                    + r.target() + " from the broker (POST /api/v1/db/credentials with {\"target\": \"" + r.target()
                    + "\"}), and the proxy's CA (GET /api/v1/db/ca) saved as " + DatabaseResource.SSL_ROOT_CERT
                    + " verifies its certificate");
        }
        return new Views.Connect("ssh -p " + bastionSshPort + " " + r.login() + "+" + r.target() + "@" + bastionHost,
                "with your SSH certificate from the broker (POST /api/v1/ssh/certificates) next to your key, e.g. ~/.ssh/id_ed25519-cert.pub");
    }

    static String time(Instant t) {
        return t == null ? "" : TIME.format(t);
    }

    static String duration(Duration d) {
        long s = d.toSeconds();
        if (s < 60) return s + " s";
        if (s < 3600) return (s / 60) + " min " + (s % 60) + " s";
        return (s / 3600) + " h " + (s % 3600 / 60) + " min";
    }

    static String bytes(long n) {
        if (n < 1024) return n + " B";
        if (n < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
    }

    static String nz(String s) {
        return s == null ? "" : s;
    }

    static String blankToEmpty(String s) {
        return s == null ? "" : s.strip();
    }

    static String emptyToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    /**
     * After a form: back to a page (Post/Redirect/Get, so reloading never repeats an action) that says what was done.
     * The address carries only what was done and to which request; the page words the message from the request
     * itself, so a crafted link cannot make Portcullis display text of someone else's choosing.
     */
    static Response seeOther(String path, String done, java.util.UUID request) {
        return Response.seeOther(URI.create(path + "?done=" + done + "&request=" + request)).build();
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
        AccessRequest r = workflow.find(id).filter(found -> workflow.canView(found, viewer)).orElse(null);
        if (r == null) {
            return null;
        }
        String what = r.login() + " on " + r.target();
        String text = switch (done) {
            case "requested" -> "Requested " + what + " for " + Durations.format(r.duration()) + "; approvers have been asked.";
            case "released" -> "Released your grant for " + what + "; its sessions are closed.";
            case "withdrawn" -> "Withdrew your request for " + what + ".";
            case "approved" -> "Approved " + r.requester() + "'s request for " + what + (r.state() == RequestState.ACTIVE
                    ? "; that was the last approval needed, the grant is active."
                    : "; " + r.approvalCount() + " approval" + (r.approvalCount() == 1 ? "" : "s") + " so far.");
            case "denied" -> "Denied " + r.requester() + "'s request for " + what + ".";
            case "revoked" -> "Revoked " + r.requester() + "'s grant for " + what + "; the bastion closes its live sessions now.";
            case "ended" -> "Ended one session of " + r.requester() + " on " + r.target() + "; the grant and other sessions stay.";
            case "ending" -> "Asked the bastion to end one session of " + r.requester() + " on " + r.target()
                    + "; it shows as TERMINATED once closed.";
            default -> null;
        };
        return text == null ? null : new Views.Flash(text, false);
    }

    Response error(Refusal refusal, Caller caller) {
        int status = switch (refusal.kind()) {
            case INVALID -> 422;
            case FORBIDDEN -> 403;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
        };
        String title = switch (refusal.kind()) {
            case INVALID -> "That cannot be done as asked";
            case FORBIDDEN -> "Not allowed";
            case NOT_FOUND -> "Not found";
            case CONFLICT -> "That cannot be done now";
        };
        return page(status, title, refusal.message(), caller);
    }

    Response page(int status, String title, String message, Caller caller) {
        Views.Me me = null;
        try {
            me = me(caller);
        } catch (RuntimeException e) {
            // not signed in, or the identity is unusable: the error page still shows, without the navigation
        }
        String html = errorPage.data("me", me).data("nav", "").data("status", status).data("title", title).data("message", message).render();
        return Response.status(status).type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8")).entity(html).build();
    }

    Response unexpected(Throwable e, Caller caller) {
        if (e instanceof RefusedPage refused) {
            return error(refused.refusal(), caller);
        }
        if (e instanceof dev.portcullis.broker.api.RefusedException refused) {
            return error(refused.refusal(), caller);
        }
        if (e instanceof IdentityDirectory.DirectoryUnavailableException) {
            return page(503, "Keycloak cannot be reached", "The broker cannot check groups in Keycloak right now, so nothing was changed. "
                    + "Try again shortly.", caller);
        }
        if (e instanceof jakarta.ws.rs.WebApplicationException web && web.getResponse().getStatus() < 500) {
            int status = web.getResponse().getStatus();
            return page(status, status == 404 ? "Not found" : web.getResponse().getStatusInfo().getReasonPhrase(),
                    status == 404 ? "There is no page at this address." : "The request cannot be served.", caller);
        }
        LOG.error("web page failed", e);
        return page(500, "Something went wrong", "The broker failed to show this page; nothing was granted. The failure is in the broker's log.",
                caller);
    }

    /** A refusal met while showing a page; rendered as an error page by the page's resource. */
    static final class RefusedPage extends RuntimeException {
        private final transient Refusal refusal;

        RefusedPage(Refusal refusal) {
            super(refusal.message(), null, false, false);
            this.refusal = refusal;
        }

        Refusal refusal() {
            return refusal;
        }
    }
}
