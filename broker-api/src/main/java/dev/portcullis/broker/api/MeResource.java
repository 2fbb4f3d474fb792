package dev.portcullis.broker.api;

import dev.portcullis.broker.identity.Caller;
import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.Roles;
import io.quarkus.security.Authenticated;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Who I am and what I may ask for. */
@Path("/api/v1")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Me")
public class MeResource {

    @Inject
    AccessWorkflow workflow;

    @Inject
    Caller caller;

    @GET
    @Path("/me")
    @Operation(summary = "The caller's name and groups, as their token says")
    public Dtos.Me me() {
        Actor me = caller.asTokenSays();
        return new Dtos.Me(
                me.username(),
                me.groups().stream().sorted().toList(),
                AccessWorkflow.isAuditor(me),
                me.groups().contains(Roles.ADMINS));
    }

    @GET
    @Path("/targets")
    @Operation(summary = "The targets and logins the caller may request, with each one's limits")
    public List<Dtos.TargetOption> targets() {
        return workflow.policy().optionsFor(caller.asTokenSays().groups()).stream()
                .map(Dtos.TargetOption::of)
                .toList();
    }
}
