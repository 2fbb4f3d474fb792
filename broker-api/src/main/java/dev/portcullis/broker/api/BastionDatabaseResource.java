package dev.portcullis.broker.api;

import dev.portcullis.broker.db.DatabaseCredentialIssuer;
import dev.portcullis.contract.BastionApi;
import dev.portcullis.workflow.request.Refusal;
import io.quarkus.security.Authenticated;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The database proxy's question, over HTTP: whose is this credential? */
@Path("/internal/v1/db/credentials")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Internal (bastions)")
public class BastionDatabaseResource {

    @Inject
    BastionGuard bastion;

    @Inject
    DatabaseCredentialIssuer issuer;

    @POST
    @Path("/verify")
    @Operation(
            summary = "The person and account a database credential belongs to, or 404 when it is unknown,"
                    + " expired, for another target or names no account")
    public BastionApi.CredentialHolder verify(BastionApi.CredentialToVerify body) {
        bastion.require("verify database credentials");
        String credential = Input.required(body == null ? null : body.credential(), "credential");
        String target = Input.required(body.target(), "target");
        try {
            return issuer.holder(credential, target)
                    .map(h -> new BastionApi.CredentialHolder(h.username(), h.account()))
                    .orElseThrow(() -> new RefusedException(
                            Refusal.notFound("unknown_credential", "no valid database credential matches")));
        } catch (DatabaseCredentialIssuer.RefusedCredentialException e) {
            throw new RefusedException(Refusal.notFound(e.code(), e.getMessage()));
        }
    }
}
