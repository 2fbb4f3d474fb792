package dev.portcullis.broker.api;

import java.util.Arrays;
import java.util.Locale;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import io.quarkus.security.Authenticated;

import dev.portcullis.broker.grants.LocalGrantAuthority;
import dev.portcullis.workflow.port.GrantAuthority;
import dev.portcullis.workflow.request.Refusal;

/** The bastion's question, over HTTP: may this person use this login on this target, this way, now? */
@Path("/internal/v1/grants")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Internal (bastions)")
public class GrantAuthorityResource {

    @Inject
    BastionGuard bastion;

    @Inject
    LocalGrantAuthority authority;

    @POST
    @Path("/authorize")
    @Operation(summary = "Allowed with the live grant, or refused with a code and a message for the user")
    public Dtos.AuthorizeAnswer authorize(Dtos.AuthorizeRequest body) {
        bastion.require("ask for grant decisions");
        if (body == null) {
            throw new RefusedException(Refusal.invalid("body_required", null, "send {username, target, login, use}"));
        }
        GrantAuthority.Ask ask = new GrantAuthority.Ask(Input.required(body.username(), "username"), Input.required(body.target(), "target"),
                Input.required(body.login(), "login"), use(Input.required(body.use(), "use")));
        return Dtos.AuthorizeAnswer.of(authority.authorize(ask));
    }

    private static GrantAuthority.Use use(String value) {
        try {
            return GrantAuthority.Use.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new RefusedException(Refusal.invalid("bad_use", "use", "use must be one of " + Arrays.toString(GrantAuthority.Use.values())));
        }
    }
}
