package dev.portcullis.broker.api;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import io.quarkus.security.Authenticated;

import dev.portcullis.broker.db.DatabaseCredentialIssuer;
import dev.portcullis.broker.identity.Caller;
import dev.portcullis.broker.identity.KeycloakDirectory;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.Refusal;

/** Database credentials: what people send as their PostgreSQL password to the bastion's database proxy. */
@Path("/api/v1/db")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Databases")
public class DatabaseResource {

    @Inject
    DatabaseCredentialIssuer issuer;

    @Inject
    Caller caller;

    @Inject
    KeycloakDirectory directory;

    @ConfigProperty(name = "portcullis.db.proxy-host", defaultValue = "127.0.0.1")
    String proxyHost;

    @ConfigProperty(name = "portcullis.db.proxy-port", defaultValue = "6432")
    int proxyPort;

    @POST
    @Path("/credentials")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "A short-lived credential to send as your PostgreSQL password to the database proxy; shown once")
    public Response issue() {
        if (caller.isServiceAccount()) {
            throw new RefusedException(Refusal.forbidden("not_a_person", "database credentials are for people; a service client cannot get one"));
        }
        Actor person = directory.lookup(caller.username()).orElse(null);
        if (person == null || !person.enabled()) {
            throw new RefusedException(Refusal.forbidden("account_disabled", "your account is disabled or gone; no credential was issued"));
        }
        if (person.id() != null && !person.id().equals(caller.subject())) {
            // The name now belongs to another account than the token's: what is issued here is bound to the name.
            throw new RefusedException(Refusal.forbidden("account_mismatch",
                    "your token's account no longer holds the name " + caller.username() + "; no credential was issued"));
        }
        DatabaseCredentialIssuer.Issued issued = issuer.issue(person.username());
        return Response.status(201).entity(new Dtos.DatabaseCredential(issued.username(), issued.credential(), issued.expiresAt(),
                proxyHost, proxyPort, "host=" + proxyHost + " port=" + proxyPort + " sslmode=require dbname=TARGET user=ROLE")).build();
    }
}
