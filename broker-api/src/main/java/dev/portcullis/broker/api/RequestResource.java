package dev.portcullis.broker.api;

import dev.portcullis.broker.identity.Caller;
import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.Refusal;
import dev.portcullis.workflow.request.RequestDraft;
import dev.portcullis.workflow.request.RequestState;
import dev.portcullis.workflow.request.Transition;
import io.quarkus.security.Authenticated;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Access requests: ask, list, review, cancel, and end grants early. Thin: every decision is the domain's. */
@Path("/api/v1/requests")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Access requests")
public class RequestResource {

    @Inject
    AccessWorkflow workflow;

    @Inject
    Caller caller;

    /** How often a followed request is looked at again; the follower sees a change at most this much later. */
    @ConfigProperty(name = "portcullis.requests.follow-poll", defaultValue = "PT0.25S")
    Duration followPoll;

    @POST
    @Operation(summary = "Request time-limited access to a target")
    public Response create(Dtos.NewRequest body) {
        if (body == null) {
            throw new RefusedException(Refusal.invalid(
                    "body_required",
                    null,
                    "send the request as JSON: {target, login, durationMinutes, reason, ticket}"));
        }
        Duration duration = body.durationMinutes() == null ? null : Duration.ofMinutes(body.durationMinutes());
        Transition result = workflow.submit(
                caller.asTokenSays(),
                new RequestDraft(body.target(), body.login(), duration, body.reason(), body.ticket()));
        AccessRequest created = applied(result);
        return Response.status(201)
                .header("Location", "/api/v1/requests/" + created.id())
                .entity(view(created))
                .build();
    }

    @GET
    @Operation(summary = "List requests: mine (default), those I may review, or all (auditors and admins)")
    public List<Dtos.RequestView> list(
            @QueryParam("scope") @DefaultValue("mine") String scope,
            @QueryParam("state") List<String> states,
            @QueryParam("requester") String requester,
            @QueryParam("target") String target,
            @QueryParam("limit") @DefaultValue("100") int limit) {
        if (limit < 1 || limit > 1000) {
            throw new RefusedException(Refusal.invalid("bad_limit", "limit", "limit must be between 1 and 1000"));
        }
        Actor viewer = caller.asTokenSays();
        Set<RequestState> wanted = parseStates(states);
        List<AccessRequest> found = switch (scope) {
            case "mine" -> workflow.mine(viewer, wanted, limit);
            case "review" -> workflow.toReview(viewer, limit);
            case "all" -> {
                if (!AccessWorkflow.isAuditor(viewer)) {
                    throw new RefusedException(Refusal.forbidden(
                            "missing_group", "listing every request needs membership of auditors or admins"));
                }
                yield workflow.all(wanted, requester, target, limit);
            }
            default ->
                throw new RefusedException(Refusal.invalid("bad_scope", "scope", "scope must be mine, review or all"));
        };
        return found.stream().map(this::view).toList();
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One request, if it is yours, you may review it, or you audit")
    public Dtos.RequestView get(@PathParam("id") UUID id) {
        return view(visible(id, caller.asTokenSays()));
    }

    private AccessRequest visible(UUID id, Actor viewer) {
        return workflow.find(id)
                .filter(r -> workflow.canView(r, viewer))
                .orElseThrow(() -> new RefusedException(
                        Refusal.notFound("no_such_request", "there is no access request " + id + " that you may see")));
    }

    /**
     * Server-sent events that follow one request: a {@code request} event with the whole view at once, then one each
     * time its state or its reviews change, so a waiting requester sees every approval as it is given. The stream
     * ends after the event that leaves PENDING (ACTIVE, or why it will never be). A comment every 15 s keeps idle
     * proxies from closing it. Whoever may see the request may follow it; nobody else learns it exists.
     */
    @GET
    @Path("/{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Blocking
    @Operation(summary = "Follow one request as server-sent events until it leaves PENDING")
    public Multi<OutboundSseEvent> follow(@PathParam("id") UUID id, @Context Sse sse) {
        Actor viewer = caller.asTokenSays(); // read now: the request scope is gone once the stream runs on
        visible(id, viewer);
        RequestFollower follower = new RequestFollower(
                () -> workflow.find(id).orElseThrow(),
                r -> Dtos.RequestView.of(r, workflow.policy().rule(r.rule()).orElse(null), viewer, Instant.now()));
        long heartbeatEvery = Math.max(1, Duration.ofSeconds(15).toMillis() / followPoll.toMillis());
        OutboundSseEvent end = sse.newEventBuilder().comment("end").build();
        return Multi.createFrom()
                .ticks()
                .startingAfter(Duration.ofMillis(1))
                .every(followPoll)
                .onOverflow()
                .drop()
                .emitOn(Infrastructure.getDefaultWorkerPool())
                .onItem()
                .transformToIterable(tick -> {
                    List<OutboundSseEvent> out = new java.util.ArrayList<>();
                    follower.changed()
                            .ifPresent(view -> out.add(sse.newEventBuilder()
                                    .id(String.valueOf(follower.changes()))
                                    .name("request")
                                    .mediaType(MediaType.APPLICATION_JSON_TYPE)
                                    .data(Dtos.RequestView.class, view)
                                    .build()));
                    if (follower.settled()) {
                        out.add(end);
                    } else if (out.isEmpty() && tick % heartbeatEvery == heartbeatEvery - 1) {
                        out.add(sse.newEventBuilder().comment("keep-alive").build());
                    }
                    return out;
                })
                .select()
                .first(event -> event != end);
    }

    @POST
    @Path("/{id}/approve")
    @Operation(summary = "Approve a request (separation of duties and group membership are checked live)")
    public Dtos.RequestView approve(@PathParam("id") UUID id, Dtos.Decision body) {
        return view(applied(workflow.approve(id, caller.username(), body == null ? null : body.comment())));
    }

    @POST
    @Path("/{id}/deny")
    @Operation(summary = "Deny a request; a reason is required")
    public Dtos.RequestView deny(@PathParam("id") UUID id, Dtos.Decision body) {
        return view(applied(workflow.deny(id, caller.username(), reasonOf(body))));
    }

    @POST
    @Path("/{id}/cancel")
    @Operation(summary = "Withdraw your own pending request")
    public Dtos.RequestView cancel(@PathParam("id") UUID id) {
        return view(applied(workflow.cancel(id, caller.username())));
    }

    @POST
    @Path("/{id}/release")
    @Operation(summary = "Give your active grant up before its end time")
    public Dtos.RequestView release(@PathParam("id") UUID id) {
        return view(applied(workflow.release(id, caller.username())));
    }

    @POST
    @Path("/{id}/revoke")
    @Operation(summary = "End someone's active grant now (admins); a reason is required")
    public Dtos.RequestView revoke(@PathParam("id") UUID id, Dtos.Decision body) {
        return view(applied(workflow.revoke(id, caller.username(), reasonOf(body))));
    }

    private static String reasonOf(Dtos.Decision body) {
        if (body == null) return null;
        return body.reason() != null ? body.reason() : body.comment();
    }

    private static AccessRequest applied(Transition result) {
        if (result instanceof Transition.Applied applied) {
            return applied.after();
        }
        throw new RefusedException(((Transition.Refused) result).refusal());
    }

    private Dtos.RequestView view(AccessRequest r) {
        return Dtos.RequestView.of(
                r, workflow.policy().rule(r.rule()).orElse(null), caller.asTokenSays(), Instant.now());
    }

    private static Set<RequestState> parseStates(List<String> states) {
        Set<RequestState> wanted = EnumSet.noneOf(RequestState.class);
        if (states == null) return wanted;
        for (String s : states) {
            for (String part : s.split(",")) {
                if (part.isBlank()) continue;
                try {
                    wanted.add(RequestState.valueOf(part.trim().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new RefusedException(Refusal.invalid(
                            "bad_state",
                            "state",
                            "unknown state '" + part.trim() + "'; states are " + EnumSet.allOf(RequestState.class)));
                }
            }
        }
        return wanted;
    }
}
