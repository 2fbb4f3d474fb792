package dev.portcullis.broker.api;

import dev.portcullis.broker.identity.Caller;
import dev.portcullis.broker.identity.KeycloakDirectory;
import dev.portcullis.broker.ssh.SshCertificateIssuer;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.Refusal;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.annotation.security.PermitAll;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Short-lived SSH user certificates for people, and the CA keys clients and targets trust. */
@Path("/api/v1/ssh")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "SSH")
public class SshResource {

    @Inject
    SshCertificateIssuer issuer;

    @Inject
    Caller caller;

    @Inject
    SecurityIdentity identity;

    @Inject
    KeycloakDirectory directory;

    @POST
    @Path("/certificates")
    @Operation(summary = "Certify your SSH public key for a few hours, for your username only")
    public Response certify(Dtos.CertificateRequest body) {
        if (caller.isServiceAccount()) {
            throw new RefusedException(Refusal.forbidden(
                    "not_a_person", "SSH certificates are for people; a service client cannot get one"));
        }
        // A certificate outlives the token that asked for it: ask Keycloak now whether the account is still enabled.
        Actor person = directory.lookup(caller.username()).orElse(null);
        if (person == null || !person.enabled()) {
            throw new RefusedException(Refusal.forbidden(
                    "account_disabled", "your account is disabled or gone; no certificate was issued"));
        }
        if (person.id() != null && !person.id().equals(caller.subject())) {
            // The name now belongs to another account than the token's: a certificate for the name would mislead.
            throw new RefusedException(Refusal.forbidden(
                    "account_mismatch",
                    "your token's account no longer holds the name " + caller.username()
                            + "; no certificate was issued"));
        }
        SshCertificateIssuer.UserCertificate issued = issuer.issueUserCertificate(
                person.username(), caller.subject(), body == null ? null : body.publicKey());
        return Response.status(201).entity(Dtos.UserCertificate.of(issued)).build();
    }

    @GET
    @Path("/ca")
    @PermitAll
    @Operation(
            summary = "The user and host CA public keys, and the known_hosts line for connecting through the "
                    + "bastion (it names the SSH targets only for a caller with a token)")
    public Dtos.CaKeys ca() {
        return Dtos.CaKeys.of(issuer.caKeys(!identity.isAnonymous()));
    }
}
