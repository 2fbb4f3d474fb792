package dev.portcullis.broker.api;

import java.io.OutputStream;
import java.util.List;

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

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.portcullis.broker.persistence.HashChainedAuditLog;
import dev.portcullis.workflow.request.Refusal;
import dev.portcullis.workflow.request.Roles;

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

    @GET
    @Operation(summary = "Audit events, newest first; page with 'before' (an id)")
    public List<HashChainedAuditLog.AuditRecord> list(@QueryParam("before") Long before, @QueryParam("actor") String actor,
                                                      @QueryParam("action") String action, @QueryParam("subject") String subject,
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
        return audit.verify();
    }

    @GET
    @Path("/export")
    @Produces("application/jsonl")
    @Operation(summary = "The whole audit trail as JSON Lines, oldest first")
    public Response export() {
        StreamingOutput body = (OutputStream out) -> audit.writeJsonLines(out, json);
        return Response.ok(body, "application/jsonl").header("Content-Disposition", "attachment; filename=\"portcullis-audit.jsonl\"").build();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

}
