package dev.portcullis.broker.api;

import dev.portcullis.broker.notify.NotificationOutbox;
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
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Notifications the broker gave up on after its last retry (each also has a notification.failed audit row), for admins. */
@Path("/api/v1/notifications")
@RolesAllowed(Roles.ADMINS)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Notifications")
public class NotificationResource {

    @Inject
    NotificationOutbox outbox;

    @GET
    @Path("/failed")
    @Operation(summary = "Messages not delivered after the last retry, newest first, with the last error")
    public List<NotificationOutbox.Failed> failed(@QueryParam("limit") @DefaultValue("100") int limit) {
        if (limit < 1 || limit > 1000) {
            throw new RefusedException(Refusal.invalid("bad_limit", "limit", "limit must be between 1 and 1000"));
        }
        return outbox.failed(limit);
    }
}
