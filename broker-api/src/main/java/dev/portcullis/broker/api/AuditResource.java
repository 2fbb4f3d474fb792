package dev.portcullis.broker.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.broker.identity.Caller;
import dev.portcullis.broker.persistence.HashChainedAuditLog;
import dev.portcullis.broker.persistence.IncrementalChainCheck;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.request.Refusal;
import dev.portcullis.workflow.request.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.OutputStream;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The audit trail, for auditors and admins: read, verify the hash chain, export. */
@Path("/api/v1/audit")
@RolesAllowed({Roles.AUDITORS, Roles.ADMINS})
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Audit")
public class AuditResource {

    @Inject
    HashChainedAuditLog audit;

    @Inject
    ObjectMapper json;

    @Inject
    AuditSink sink;

    @Inject
    IncrementalChainCheck chain;

    @Inject
    Caller caller;

    @Inject
    Clock clock;

    @GET
    @Operation(summary = "Audit events, newest first; page with 'before' (an id)")
    public List<HashChainedAuditLog.AuditRecord> list(
            @QueryParam("before") Long before,
            @QueryParam("actor") String actor,
            @QueryParam("action") String action,
            @QueryParam("subject") String subject,
            @QueryParam("limit") @DefaultValue("100") int limit) {
        if (limit < 1 || limit > 1000) {
            throw new RefusedException(Refusal.invalid("bad_limit", "limit", "limit must be between 1 and 1000"));
        }
        return audit.list(before, blankToNull(actor), blankToNull(action), blankToNull(subject), limit);
    }

    @GET
    @Path("/verify")
    @Operation(summary = "Recompute the hash chain and report the first row that does not fit")
    public HashChainedAuditLog.ChainVerification verify() {
        return chain.full(); // always the whole chain; the web page goes on from what this verified
    }

    @GET
    @Path("/export")
    @Produces("application/jsonl")
    @Operation(summary = "The whole audit trail as JSON Lines, oldest first")
    public Response export() {
        // Who took a copy of the whole trail is itself part of the trail (the web UI's export says so too).
        sink.append(new AuditEvent(
                clock.instant(),
                caller.username(),
                "audit.exported",
                "audit",
                "-",
                Map.of("format", "jsonl", "via", "api", "filters", "none")));
        StreamingOutput body = (OutputStream out) -> audit.writeJsonLines(out, json);
        return Response.ok(body, "application/jsonl")
                .header("Content-Disposition", "attachment; filename=\"portcullis-audit.jsonl\"")
                .build();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
