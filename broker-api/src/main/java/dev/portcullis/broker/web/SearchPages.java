package dev.portcullis.broker.web;

import dev.portcullis.broker.identity.Caller;
import dev.portcullis.broker.search.SearchIndex;
import dev.portcullis.broker.search.SearchQuery;
import dev.portcullis.broker.search.Searches;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.security.Authenticated;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Locale;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * The Search page: the same search as {@code GET /api/v1/search}, for everyone signed in (auditors and admins over
 * every session, others over their own). Each hit shows its context and its recording's verification status, and
 * links to the replay at its second. A refused query is shown beside the field, in one line, with a 400.
 */
@Path("/ui/search")
@Authenticated
@Produces(MediaType.TEXT_HTML)
public class SearchPages {

    /** One hit as the page shows it. */
    public record HitRow(
            String session,
            String username,
            String target,
            String login,
            String protocol,
            String kind,
            String at,
            String offset,
            long second,
            String text,
            String detail,
            String before,
            String after,
            String verification,
            String css,
            String replay) {}

    /** What was asked, to fill the form again. */
    public record Form(String q, String person, String target, String protocol, String kind, String from, String to) {}

    @Inject
    Searches searches;

    @Inject
    Caller caller;

    @Inject
    Viewers viewers;

    @Inject
    @Location("web/search.html")
    Template searchPage;

    @GET
    @Operation(hidden = true)
    public Response search(
            @QueryParam("q") String q,
            @QueryParam("person") String person,
            @QueryParam("target") String target,
            @QueryParam("protocol") String protocol,
            @QueryParam("kind") String kind,
            @QueryParam("from") String from,
            @QueryParam("to") String to) {
        Views.Me me = viewers.me(caller);
        Form form = new Form(
                Formats.blankToEmpty(q),
                Formats.blankToEmpty(person),
                Formats.blankToEmpty(target),
                Formats.blankToEmpty(protocol),
                Formats.blankToEmpty(kind),
                Formats.blankToEmpty(from),
                Formats.blankToEmpty(to));
        var page = searchPage
                .data("me", me)
                .data("nav", "search")
                .data("form", form)
                .data("kinds", SearchQuery.KINDS)
                .data("protocols", SearchQuery.PROTOCOLS)
                .data("asked", false)
                .data("hits", List.of())
                .data("error", null)
                .data("auditor", me.auditor());
        if (form.q().isEmpty()) {
            return RequestPages.ok(page.render()); // the empty form, nothing asked yet
        }
        try {
            Searches.Result result =
                    searches.search(caller.asTokenSays(), q, person, target, protocol, kind, from, to, null);
            List<HitRow> rows = result.hits().stream()
                    .map(h -> row(h, result.verification().get(h.session())))
                    .toList();
            return RequestPages.ok(page.data("asked", true).data("hits", rows).render());
        } catch (Searches.Refused e) {
            String html = page.data("error", e.refusal().message()).render();
            return Response.status(
                            e.refusal().kind() == dev.portcullis.workflow.request.Refusal.Kind.FORBIDDEN ? 403 : 400)
                    .type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8"))
                    .entity(html)
                    .build();
        }
    }

    private static HitRow row(SearchIndex.Hit h, String verification) {
        long second = (long) Math.floor(h.offsetSeconds());
        String offset = String.format(Locale.ROOT, "%d:%02d", second / 60, second % 60);
        return new HitRow(
                h.session().toString(),
                h.username(),
                h.target(),
                h.login(),
                h.protocol(),
                h.kind(),
                Formats.time(h.at()),
                offset,
                second,
                h.text(),
                Formats.nz(h.detail()),
                Formats.nz(h.before()),
                Formats.nz(h.after()),
                verification,
                "badge-" + verification.toLowerCase(Locale.ROOT),
                "/ui/sessions/" + h.session() + "?t=" + second);
    }
}
