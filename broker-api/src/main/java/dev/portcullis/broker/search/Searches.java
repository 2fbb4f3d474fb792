package dev.portcullis.broker.search;

import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.Refusal;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A person's search, for the API and the page alike: auditors and admins search every session, everyone else only
 * their own (the person filter is theirs, whatever they asked); each hit carries the stored verdict on its recording
 * (verified in the background once the session ended, and by every replay; see {@code VerdictSweep}), so a search
 * verifies nothing itself; every search, and every refused one, is audited.
 */
@ApplicationScoped
public class Searches {

    @Inject
    SearchIndex index;

    @Inject
    AuditSink audit;

    @Inject
    Clock clock;

    /** Hits with the verification status of each hit's recording (by session). */
    public record Result(
            SearchQuery query, List<SearchIndex.Hit> hits, Map<UUID, String> verification, boolean everyone) {}

    /** A refusal to carry out of the caller (the API and the page word it their own way). */
    public static final class Refused extends RuntimeException {
        private final transient Refusal refusal;

        Refused(Refusal refusal) {
            super(refusal.message(), null, false, false);
            this.refusal = refusal;
        }

        public Refusal refusal() {
            return refusal;
        }
    }

    public Result search(
            Actor viewer,
            String q,
            String person,
            String target,
            String protocol,
            String kind,
            String from,
            String to,
            String limit) {
        SearchQuery query;
        try {
            query = SearchQuery.parse(q, person, target, protocol, kind, from, to, limit);
        } catch (SearchQuery.BadQuery e) {
            refused(viewer, q, e.refusal().code());
            throw new Refused(e.refusal());
        }
        boolean everyone = AccessWorkflow.isAuditor(viewer);
        if (!everyone) {
            if (query.person() != null && !query.person().equals(viewer.username())) {
                refused(viewer, q, "missing_group");
                throw new Refused(Refusal.forbidden(
                        "missing_group",
                        "searching other people's sessions is for auditors and admins (/auditors, /admins)"));
            }
            query = query.onlyOf(viewer.username());
        }
        List<SearchIndex.Hit> hits;
        try {
            hits = index.search(query);
        } catch (SearchIndex.TooSlow e) {
            refused(viewer, q, "search_too_slow");
            throw new Refused(Refusal.invalid(
                    "search_too_slow",
                    "q",
                    "the search took longer than " + SearchIndex.STATEMENT_TIMEOUT
                            + "; narrow it with a longer text, a person, a target or a time range"));
        }
        Map<UUID, String> verification = new HashMap<>();
        for (SearchIndex.Hit hit : hits) {
            verification.put(hit.session(), hit.verification());
        }
        Map<String, String> details = new LinkedHashMap<>();
        details.put("q", query.text());
        details.put("scope", everyone ? "everyone" : "own");
        details.put("hits", String.valueOf(hits.size()));
        put(details, "person", query.person());
        put(details, "target", query.target());
        put(details, "protocol", query.protocol());
        put(details, "kind", query.kind());
        put(details, "from", query.from() == null ? null : query.from().toString());
        put(details, "to", query.to() == null ? null : query.to().toString());
        audit.append(new AuditEvent(clock.instant(), viewer.username(), "search.performed", "search", "*", details));
        return new Result(query, hits, verification, everyone);
    }

    private void refused(Actor viewer, String q, String code) {
        String text = q == null ? "" : q.length() > 200 ? q.substring(0, 200) + "..." : q;
        audit.append(new AuditEvent(
                clock.instant(),
                viewer.username(),
                "search.refused",
                "search",
                "*",
                Map.of("q", text.replaceAll("\\p{Cntrl}", "?"), "code", code)));
    }

    private static void put(Map<String, String> details, String name, String value) {
        if (value != null) {
            details.put(name, value);
        }
    }
}
