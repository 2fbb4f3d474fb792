package dev.portcullis.broker.api;

import dev.portcullis.broker.identity.Caller;
import dev.portcullis.broker.search.SearchIndex;
import dev.portcullis.broker.search.Searches;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.request.Refusal;
import io.quarkus.security.Authenticated;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Search what happened in sessions: typed command lines, exec commands, SQL statements, file transfers, forwards and
 * terminal output. Auditors and admins search every session, everyone else their own; service accounts none.
 */
@Path("/api/v1/search")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Search")
public class SearchResource {

    /**
     * One hit: what matched, when (offsetSeconds into the recording: the replay link seeks there), the entries just
     * before and after it in the session, and the last verdict on the session's recording (VALID, INCOMPLETE,
     * TAMPERED, MISSING, DELETED_BY_POLICY; UNCHECKED until the broker has verified it since the session ended; NONE
     * without a recording) with when it was reached.
     */
    public record SearchHit(
            UUID sessionId,
            UUID requestId,
            String username,
            String target,
            String login,
            String protocol,
            String kind,
            String at,
            double offsetSeconds,
            String text,
            String detail,
            String before,
            String after,
            String verification,
            String verifiedAt,
            String replay) {}

    public record SearchAnswer(String q, String scope, int count, List<SearchHit> hits) {}

    @Inject
    Searches searches;

    @Inject
    Caller caller;

    @Inject
    BastionGuard bastion;

    @Inject
    AuditSink audit;

    @Inject
    Clock clock;

    @GET
    @org.eclipse.microprofile.openapi.annotations.responses.APIResponse(
            responseCode = "200",
            content =
                    @org.eclipse.microprofile.openapi.annotations.media.Content(
                            schema =
                                    @org.eclipse.microprofile.openapi.annotations.media.Schema(
                                            implementation = SearchAnswer.class)))
    @Operation(summary = "Search sessions (q: 3-200 characters, a literal, case-insensitive substring); newest first")
    public Response search(
            @QueryParam("q") String q,
            @QueryParam("person") String person,
            @QueryParam("target") String target,
            @QueryParam("protocol") String protocol,
            @QueryParam("kind") String kind,
            @QueryParam("from") String from,
            @QueryParam("to") String to,
            @QueryParam("limit") String limit) {
        if (caller.isServiceAccount() || bastion.isBastion()) {
            audit.append(new AuditEvent(
                    clock.instant(),
                    caller.username(),
                    "search.refused",
                    "search",
                    "*",
                    Map.of("code", "not_a_person")));
            throw new RefusedException(Refusal.forbidden(
                    "not_a_person",
                    "search is for people; a service account (a bastion, a script) cannot search sessions"));
        }
        Searches.Result result;
        try {
            result = searches.search(caller.asTokenSays(), q, person, target, protocol, kind, from, to, limit);
        } catch (Searches.Refused e) {
            Refusal r = e.refusal();
            if (r.kind() == Refusal.Kind.INVALID) { // a query that cannot be run as asked: 400, as for a bad URL
                return ProblemMappers.problem(Problem.of(400, "Bad request", r.code(), r.message(), r.field()));
            }
            throw new RefusedException(r);
        }
        List<SearchHit> hits = result.hits().stream()
                .map(h -> hit(h, result.verification().get(h.session())))
                .toList();
        return Response.ok(new SearchAnswer(
                        result.query().text(), result.everyone() ? "everyone" : "own", hits.size(), hits))
                .build();
    }

    static SearchHit hit(SearchIndex.Hit h, String verification) {
        return new SearchHit(
                h.session(),
                h.request(),
                h.username(),
                h.target(),
                h.login(),
                h.protocol(),
                h.kind(),
                h.at().toString(),
                h.offsetSeconds(),
                h.text(),
                h.detail(),
                h.before(),
                h.after(),
                verification,
                h.verifiedAt() == null ? null : h.verifiedAt().toString(),
                "/ui/sessions/" + h.session() + "?t=" + (long) Math.floor(h.offsetSeconds()));
    }
}
