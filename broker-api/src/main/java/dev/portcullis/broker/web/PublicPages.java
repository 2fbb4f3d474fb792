package dev.portcullis.broker.web;

import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * The page after signing out, which anyone may see. (The root, {@code /}, is web-frontend's static index.html,
 * which sends people on to the UI, and so to Keycloak.)
 */
@Path("/signed-out")
@Produces(MediaType.TEXT_HTML)
public class PublicPages {

    @Inject
    @Location("web/signed-out.html")
    Template signedOut;

    @GET
    @Operation(hidden = true)
    public Response signedOut() {
        return RequestPages.ok(signedOut.render());
    }
}
