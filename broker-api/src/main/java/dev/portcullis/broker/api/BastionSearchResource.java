package dev.portcullis.broker.api;

import dev.portcullis.broker.search.SearchIndex;
import dev.portcullis.broker.search.SearchQuery;
import dev.portcullis.contract.BastionApi.Batch;
import dev.portcullis.contract.BastionApi.EntryBody;
import dev.portcullis.contract.BastionApi.Taken;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.request.Refusal;
import io.quarkus.security.Authenticated;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Bastions feed the search index here while sessions run, in batches. A bastion adds entries only to sessions its
 * own client registered (its segment's), and only while they run or shortly after: a batch naming any other session
 * is refused whole and audited (what a stolen bastion token would be used for: planting or hiding evidence in another
 * segment's sessions). Who, where and as whom come from the session's row, never from the batch.
 */
@Path("/internal/v1/search/entries")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Internal (bastions)")
public class BastionSearchResource {

    static final int MAX_BATCH = 5000;
    static final int MAX_TEXT = 4096;

    @Inject
    BastionGuard bastion;

    @Inject
    SearchIndex index;

    @Inject
    AuditSink audit;

    @Inject
    Clock clock;

    @POST
    @Operation(
            summary = "Index entries of this bastion's sessions; entries of sessions not registered yet are named "
                    + "in unknownSessions, for the bastion to send again")
    public Taken add(Batch body) {
        bastion.require("feed the search index");
        if (body == null || body.entries() == null) {
            throw new RefusedException(Refusal.invalid(
                    "body_required", null, "send {entries: [{session, offsetMicros, kind, text, detail}]}"));
        }
        if (body.entries().size() > MAX_BATCH) {
            throw new RefusedException(
                    Refusal.invalid("batch_too_large", "entries", "at most " + MAX_BATCH + " entries a batch"));
        }
        List<SearchIndex.Entry> entries = new ArrayList<>(body.entries().size());
        for (EntryBody e : body.entries()) {
            entries.add(entry(e));
        }
        SearchIndex.Stored stored = index.store(bastion.clientId(), entries);
        if (!stored.foreign().isEmpty() || !stored.ended().isEmpty()) {
            boolean foreign = !stored.foreign().isEmpty();
            Set<UUID> named = foreign ? stored.foreign() : stored.ended();
            String ids = named.stream().map(UUID::toString).sorted().collect(Collectors.joining(","));
            audit.append(new AuditEvent(
                    clock.instant(),
                    bastion.clientId(),
                    "search.entries.refused",
                    "session",
                    named.iterator().next().toString(),
                    Map.of(
                            "code",
                            foreign ? "not_your_session" : "session_ended",
                            "sessions",
                            ids,
                            "entries",
                            String.valueOf(entries.size()))));
            throw new RefusedException(Refusal.forbidden(
                    foreign ? "not_your_session" : "session_ended",
                    foreign
                            ? "the bastion client " + bastion.clientId() + " did not register session(s) " + ids
                                    + "; a bastion indexes only its own sessions"
                            : "session(s) " + ids + " ended more than 5 minutes ago and take no more entries"));
        }
        return new Taken(
                stored.stored(),
                stored.unknown().stream().map(UUID::toString).sorted().toList());
    }

    private static SearchIndex.Entry entry(EntryBody e) {
        if (e == null) {
            throw new RefusedException(Refusal.invalid("bad_entry", "entries", "an entry may not be null"));
        }
        UUID session;
        try {
            session = UUID.fromString(Input.required(e.session(), "session"));
        } catch (IllegalArgumentException bad) {
            throw new RefusedException(
                    Refusal.invalid("bad_session", "session", "session must be a session id (UUID)"));
        }
        if (e.offsetMicros() == null || e.offsetMicros() < 0) {
            throw new RefusedException(Refusal.invalid(
                    "bad_offset",
                    "offsetMicros",
                    "offsetMicros must be the microseconds since the recording started (0 or more)"));
        }
        String kind = Input.required(e.kind(), "kind");
        if (!SearchQuery.KINDS.contains(kind)) {
            throw new RefusedException(Refusal.invalid("bad_kind", "kind", "kind must be one of " + SearchQuery.KINDS));
        }
        String text = Input.required(e.text(), "text");
        if (text.length() > MAX_TEXT || (e.detail() != null && e.detail().length() > MAX_TEXT)) {
            throw new RefusedException(Refusal.invalid(
                    "text_too_long", "text", "text and detail may be at most " + MAX_TEXT + " characters"));
        }
        // PostgreSQL text holds no NUL
        return new SearchIndex.Entry(
                session,
                e.offsetMicros(),
                kind,
                text.replace('\0', '\uFFFD'),
                e.detail() == null ? null : e.detail().replace('\0', '\uFFFD'));
    }
}
