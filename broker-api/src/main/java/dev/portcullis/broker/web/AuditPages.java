package dev.portcullis.broker.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.broker.identity.Caller;
import dev.portcullis.broker.persistence.HashChainedAuditLog;
import dev.portcullis.broker.persistence.HashChainedAuditLog.AuditRecord;
import dev.portcullis.broker.persistence.IncrementalChainCheck;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
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
import jakarta.ws.rs.core.StreamingOutput;
import java.io.OutputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** The audit trail for auditors and admins: filter, the hash chain's verification, export as JSON Lines. */
@Path("/ui/audit")
@Authenticated
@Produces(MediaType.TEXT_HTML)
public class AuditPages {

    static final int PAGE = 100;

    @Inject
    HashChainedAuditLog auditLog;

    @Inject
    AuditSink audit;

    @Inject
    IncrementalChainCheck chainCheck;

    @Inject
    ObjectMapper json;

    @Inject
    Caller caller;

    @Inject
    Viewers viewers;

    @Inject
    ErrorPages errorPages;

    @Inject
    @Location("web/audit.html")
    Template auditPage;

    @GET
    @Operation(hidden = true)
    public Response list(
            @QueryParam("actor") String actor,
            @QueryParam("action") String action,
            @QueryParam("subject") String subject,
            @QueryParam("before") Long before,
            @QueryParam("full") boolean full) {
        viewers.requireAuditor(caller, "The audit log");
        Views.AuditFilter filter = new Views.AuditFilter(
                Formats.blankToEmpty(actor), Formats.blankToEmpty(action), Formats.blankToEmpty(subject));
        List<AuditRecord> records = auditLog.list(
                before,
                Formats.emptyToNull(filter.actor()),
                Formats.emptyToNull(filter.action()),
                Formats.emptyToNull(filter.subject()),
                PAGE + 1);
        boolean more = records.size() > PAGE;
        List<Views.AuditRow> rows =
                records.stream().limit(PAGE).map(AuditPages::row).toList();
        // Only the rows written since the last view are verified; ?full=true (the page's link) walks the whole chain.
        HashChainedAuditLog.ChainVerification chain = full ? chainCheck.full() : chainCheck.sinceLast();
        String next = more ? String.valueOf(records.get(PAGE - 1).id()) : null;
        String html = auditPage
                .data("me", viewers.me(caller))
                .data("nav", "audit")
                .data("filter", filter)
                .data("rows", rows)
                .data(
                        "chain",
                        new Views.Chain(
                                chain.valid(),
                                chain.valid()
                                        ? "Hash chain verified: all " + chain.intactRows() + " entries intact ("
                                                + chain.checkedRows()
                                                + (full
                                                        ? " checked now, the whole chain)"
                                                        : " new entries checked now, the rest at earlier views)")
                                        : "Hash chain BROKEN at entry " + chain.brokenAt() + ": " + chain.problem()
                                                + " (" + chain.intactRows() + " entries before it intact)"))
                .data("next", next == null ? "" : next)
                .render();
        return RequestPages.ok(html);
    }

    static Views.AuditRow row(AuditRecord r) {
        String subject = r.subjectType() + " " + r.subjectId();
        String details = new TreeMap<>(r.details())
                .entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
        return new Views.AuditRow(
                r.id(),
                Formats.time(r.at()),
                Formats.nz(r.actor()),
                r.action(),
                subject,
                details,
                r.hash().substring(0, Math.min(12, r.hash().length())));
    }

    @GET
    @Path("/export.jsonl")
    @Produces("application/jsonl")
    @Operation(hidden = true)
    public Response export() {
        viewers.requireAuditor(caller, "The audit log");
        audit.append(new AuditEvent(
                Instant.now(), caller.username(), "audit.exported", "audit", "-", Map.of("format", "jsonl")));
        StreamingOutput body = (OutputStream out) -> auditLog.writeJsonLines(out, json);
        return Response.ok(body, "application/jsonl")
                .header("Content-Disposition", "attachment; filename=\"portcullis-audit.jsonl\"")
                .build();
    }

    @ServerExceptionMapper
    public Response failed(Exception e) {
        return errorPages.unexpected(e, caller);
    }
}
