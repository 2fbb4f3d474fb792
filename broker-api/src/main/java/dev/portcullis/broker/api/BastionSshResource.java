package dev.portcullis.broker.api;

import dev.portcullis.broker.ssh.SshCertificateIssuer;
import dev.portcullis.contract.BastionApi;
import io.quarkus.security.Authenticated;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Host certificates for bastions' host keys, so users trust the bastion by the host CA rather than on first use. */
@Path("/internal/v1/ssh")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Internal (bastions)")
public class BastionSshResource {

    @Inject
    BastionGuard bastion;

    @Inject
    SshCertificateIssuer issuer;

    @Inject
    BastionSegments segments;

    @POST
    @Path("/host-certificates")
    @Operation(summary = "Certify a bastion's host key for SSH targets and bastion names of its own segment")
    public Response certifyHost(BastionApi.HostCertificateRequest body) {
        bastion.require("get host certificates");
        SshCertificateIssuer.HostCertificate issued = issuer.issueHostCertificate(
                bastion.clientId(),
                segments.namesOf(bastion.clientId()),
                body == null ? null : body.publicKey(),
                body == null ? null : body.principals());
        return Response.status(201)
                .entity(new BastionApi.HostCertificate(issued.certificate(), issued.principals(), issued.validBefore()))
                .build();
    }
}
