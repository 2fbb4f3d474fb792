package dev.portcullis.broker.web;

import dev.portcullis.broker.identity.Caller;
import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.policy.AccessRule;
import dev.portcullis.workflow.policy.Durations;
import dev.portcullis.workflow.policy.RequestOption;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.Refusal;
import dev.portcullis.workflow.request.RequestDraft;
import dev.portcullis.workflow.request.RequestState;
import dev.portcullis.workflow.request.Transition;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.security.Authenticated;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The requester's and approver's pages: request access, my access, approvals inbox. An adapter only: every
 * decision is {@link AccessWorkflow}'s, exactly as for the REST API, so the server enforces separation of duties
 * whatever a page shows.
 */
@Path("/ui")
@Authenticated
@Produces(MediaType.TEXT_HTML)
public class RequestPages {

    @Inject
    AccessWorkflow workflow;

    @Inject
    Caller caller;

    @Inject
    Viewers viewers;

    @Inject
    RequestCards cards;

    @Inject
    Flashes flashes;

    @Inject
    ErrorPages errorPages;

    @Inject
    ApprovalLinks approvalLinks;

    @Inject
    @Location("web/request.html")
    Template requestPage;

    @Inject
    @Location("web/access.html")
    Template accessPage;

    @Inject
    @Location("web/approvals.html")
    Template approvalsPage;

    @GET
    @Operation(hidden = true)
    public Response home() {
        return Response.seeOther(URI.create("/ui/access")).build();
    }

    @GET
    @Path("/request")
    @Operation(hidden = true)
    public Response requestForm(@QueryParam("access") String access) {
        Views.RequestForm form = Views.RequestForm.empty();
        if (access != null) {
            form = new Views.RequestForm(access, form.duration(), "", "", Map.of(), null);
        }
        return requestPage(form, 200);
    }

    @POST
    @Path("/request")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Operation(hidden = true)
    public Response submit(
            @RestForm String access, @RestForm String duration, @RestForm String reason, @RestForm String ticket) {
        Views.RequestForm filled = new Views.RequestForm(
                Formats.blankToEmpty(access),
                Formats.blankToEmpty(duration),
                Formats.blankToEmpty(reason),
                Formats.blankToEmpty(ticket),
                Map.of(),
                null);
        String target = null;
        String login = null;
        if (!filled.access().isEmpty()) {
            int slash = filled.access().indexOf('/');
            target = slash < 0 ? filled.access() : filled.access().substring(0, slash);
            login = slash < 0 ? null : filled.access().substring(slash + 1);
        }
        Duration asked = null;
        if (!filled.duration().isEmpty()) {
            try {
                asked = Duration.ofMinutes(Long.parseLong(filled.duration()));
            } catch (NumberFormatException e) {
                asked = Durations.parse(filled.duration()).orElse(null);
                if (asked == null) {
                    return requestPage(
                            withError(filled, "duration", "give the duration in minutes, for example 60"), 422);
                }
            }
        }
        Transition result = workflow.submit(
                caller.asTokenSays(),
                new RequestDraft(target, login, asked, Formats.emptyToNull(reason), Formats.emptyToNull(ticket)));
        if (result instanceof Transition.Refused refused) {
            Refusal refusal = refused.refusal();
            if (refusal.field() != null) {
                String field = "target".equals(refusal.field()) || "login".equals(refusal.field())
                        ? "access"
                        : refusal.field();
                return requestPage(withError(filled, field, refusal.message()), 422);
            }
            int status = refusal.kind() == Refusal.Kind.FORBIDDEN ? 403 : 422;
            return requestPage(
                    new Views.RequestForm(
                            filled.access(),
                            filled.duration(),
                            filled.reason(),
                            filled.ticket(),
                            Map.of(),
                            refusal.message()),
                    status);
        }
        AccessRequest created = ((Transition.Applied) result).after();
        return Flashes.seeOther("/ui/access", "requested", created.id());
    }

    private static Views.RequestForm withError(Views.RequestForm form, String field, String message) {
        Map<String, String> errors = new LinkedHashMap<>(form.errors());
        errors.put(field, message);
        return new Views.RequestForm(form.access(), form.duration(), form.reason(), form.ticket(), errors, null);
    }

    private Response requestPage(Views.RequestForm form, int status) {
        Actor me = caller.asTokenSays();
        List<Views.AccessOption> options = new ArrayList<>();
        for (RequestOption o : workflow.policy().optionsFor(me.groups())) {
            AccessRule r = o.rule();
            String value = o.target().name() + "/" + o.login();
            String label = o.login() + " on " + o.target().name() + " ("
                    + o.target().kind().wireName() + ", " + r.access().name().toLowerCase() + ")";
            options.add(new Views.AccessOption(
                    value,
                    label,
                    o.target().kind().wireName(),
                    (int) r.maxDuration().toMinutes(),
                    Durations.format(r.maxDuration()),
                    r.reasonRequired(),
                    r.ticketRequired(),
                    r.ticketPattern() == null ? "" : r.ticketPattern().pattern(),
                    r.approvalsRequired(),
                    String.join(" or ", r.sortedApproverGroups())));
        }
        String html = requestPage
                .data("me", viewers.me(caller))
                .data("nav", "request")
                .data("options", options)
                .data("form", form)
                .render();
        return Response.status(status)
                .type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8"))
                .entity(html)
                .build();
    }

    @GET
    @Path("/access")
    @Operation(hidden = true)
    public Response access(@QueryParam("done") String done, @QueryParam("request") String request) {
        Actor me = caller.asTokenSays();
        Instant now = Instant.now();
        List<AccessRequest> mine = workflow.mine(me, EnumSet.noneOf(RequestState.class), 200);
        List<Views.RequestCard> pending = new ArrayList<>();
        List<Views.RequestCard> active = new ArrayList<>();
        List<Views.RequestCard> past = new ArrayList<>();
        Map<String, Optional<Set<String>>> approvers = new HashMap<>(); // one Keycloak read per group per page
        for (AccessRequest r : mine) {
            if (r.state() == RequestState.PENDING) {
                pending.add(cards.card(r, me, now, approvers));
            } else if (r.isLiveAt(now)) {
                active.add(cards.card(r, me, now, null));
            } else if (past.size() < 20) {
                past.add(cards.card(r, me, now, null));
            }
        }
        active.sort(Comparator.comparing(Views.RequestCard::endsAtIso));
        String html = accessPage
                .data("me", viewers.me(caller))
                .data("nav", "access")
                .data("pending", pending)
                .data("active", active)
                .data("past", past)
                .data("flash", flashes.flash(done, request, me))
                .render();
        return ok(html);
    }

    @POST
    @Path("/requests/{id}/release")
    @Operation(hidden = true)
    public Response release(@PathParam("id") UUID id) {
        AccessRequest after = applied(workflow.release(id, caller.username()));
        return Flashes.seeOther("/ui/access", "released", after.id());
    }

    @POST
    @Path("/requests/{id}/cancel")
    @Operation(hidden = true)
    public Response cancel(@PathParam("id") UUID id) {
        AccessRequest after = applied(workflow.cancel(id, caller.username()));
        return Flashes.seeOther("/ui/access", "withdrawn", after.id());
    }

    @GET
    @Path("/approvals")
    @Operation(hidden = true)
    public Response approvals(
            @QueryParam("done") String done,
            @QueryParam("request") String request,
            @QueryParam("focus") String focus,
            @QueryParam("decision") String decision) {
        Actor me = caller.asTokenSays();
        Instant now = Instant.now();
        Map<String, Optional<Set<String>>> approvers = new HashMap<>(); // one Keycloak read per group per page
        // Cards to review do not show who else may approve: no Keycloak read for them.
        List<Views.RequestCard> toReview = workflow.toReview(me, 200).stream()
                .map(r -> cards.card(r, me, now, null))
                .toList();
        List<Views.RequestCard> yours = workflow.mine(me, EnumSet.of(RequestState.PENDING), 100).stream()
                .map(r -> cards.card(r, me, now, approvers))
                .toList();
        // A notification's link: the request in focus, or why there is nothing here for this reader to decide.
        Views.Focus focused = focus == null
                ? null
                : approvalLinks.explain(
                        focus,
                        decision,
                        me,
                        toReview.stream().map(Views.RequestCard::id).collect(java.util.stream.Collectors.toSet()),
                        now);
        if (focused != null && focused.reviewable()) { // the request in focus first, where the reader lands
            toReview = java.util.stream.Stream.concat(
                            toReview.stream().filter(c -> c.id().equals(focused.id())),
                            toReview.stream().filter(c -> !c.id().equals(focused.id())))
                    .toList();
        }
        String html = approvalsPage
                .data("me", viewers.me(caller))
                .data("nav", "approvals")
                .data("toReview", toReview)
                .data("yours", yours)
                .data("flash", flashes.flash(done, request, me))
                .data("focus", focused)
                .render();
        return ok(html);
    }

    @POST
    @Path("/requests/{id}/approve")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Operation(hidden = true)
    public Response approve(@PathParam("id") UUID id, @RestForm String comment) {
        AccessRequest after = applied(workflow.approve(id, caller.username(), Formats.emptyToNull(comment)));
        return Flashes.seeOther("/ui/approvals", "approved", after.id());
    }

    @POST
    @Path("/requests/{id}/deny")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Operation(hidden = true)
    public Response deny(@PathParam("id") UUID id, @RestForm String reason) {
        AccessRequest after = applied(workflow.deny(id, caller.username(), Formats.emptyToNull(reason)));
        return Flashes.seeOther("/ui/approvals", "denied", after.id());
    }

    private static AccessRequest applied(Transition result) {
        if (result instanceof Transition.Applied applied) {
            return applied.after();
        }
        throw new RefusedPage(((Transition.Refused) result).refusal());
    }

    static Response ok(String html) {
        return Response.ok(html, MediaType.TEXT_HTML_TYPE.withCharset("UTF-8")).build();
    }

    @ServerExceptionMapper
    public Response failed(Exception e) {
        return errorPages.unexpected(e, caller);
    }
}
