package dev.portcullis.broker.api;

import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * What the {@code portcullis} command line needs to know before it has a token: where to sign in and as which client,
 * and where people reach the bastion. Only public facts (the issuer is in every token, the bastion's address in every
 * ssh command the web UI shows), so anyone may read it, and {@code portcullis login --broker URL} is all a user types.
 */
@Path("/api/v1/client-settings")
@PermitAll
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Me")
public class ClientSettingsResource {

    /** The issuer as people's machines reach it; the broker's own address for Keycloak may be an internal one. */
    @ConfigProperty(name = "portcullis.cli.issuer")
    String issuer;

    /** The public client of the realm with the device authorization grant enabled. */
    @ConfigProperty(name = "portcullis.cli.client-id")
    String clientId;

    @ConfigProperty(name = "portcullis.web.bastion-host")
    String bastionHost;

    @ConfigProperty(name = "portcullis.web.bastion-ssh-port")
    int bastionSshPort;

    @GET
    @Operation(summary = "Where the command line signs in (OIDC issuer and client) and where the bastion listens")
    public Dtos.ClientSettings settings() {
        return new Dtos.ClientSettings(issuer, clientId, bastionHost, bastionSshPort);
    }
}
