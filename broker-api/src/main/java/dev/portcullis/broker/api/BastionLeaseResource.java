package dev.portcullis.broker.api;

import dev.portcullis.broker.persistence.BastionLeases;
import dev.portcullis.contract.BastionApi;
import dev.portcullis.workflow.request.Refusal;
import io.quarkus.security.Authenticated;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Each bastion process renews a lease here; the sessions of a bastion whose lease lapses are marked ABORTED (see
 * {@link BastionLeases}). A lease belongs to the client that took it: no other bastion can renew or end it, nor have
 * its sessions aborted by naming it as a previous instance.
 */
@Path("/internal/v1/bastion-leases")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Internal (bastions)")
public class BastionLeaseResource {

    @Inject
    BastionGuard bastion;

    @Inject
    BastionLeases leases;

    @ConfigProperty(name = "portcullis.bastion.lease-duration", defaultValue = "15s")
    Duration leaseDuration;

    @POST
    @Operation(summary = "Take or renew this bastion process's lease")
    public BastionApi.LeaseView renew(BastionApi.LeaseRenewal body) {
        bastion.require("hold bastion leases");
        if (body == null) {
            throw new RefusedException(
                    Refusal.invalid("body_required", null, "send {instance, bastion, previousInstance}"));
        }
        UUID instance = Input.required(body.instance(), "instance");
        String name = Input.limited(Input.required(body.bastion(), "bastion"), "bastion", 255);
        BastionLeases.Lease lease =
                leases.renew(instance, name, bastion.clientId(), body.previousInstance(), leaseDuration);
        return switch (lease.renewal()) {
            case STARTED, RENEWED ->
                new BastionApi.LeaseView(
                        instance,
                        lease.expiresAt(),
                        Math.max(1, leaseDuration.toSeconds() / 3),
                        lease.abortedLeftovers());
            case NOT_YOURS ->
                throw new RefusedException(Refusal.forbidden(
                        "lease_not_yours", "the lease of instance " + instance + " belongs to another bastion client"));
            case ENDED ->
                throw new RefusedException(
                        Refusal.conflict(
                                "lease_ended",
                                "the lease of instance " + instance
                                        + " has ended (it lapsed, and its sessions were marked ABORTED); take a new one with a new instance"));
        };
    }

    @POST
    @Path("/{instance}/end")
    @Operation(summary = "A bastion stops: its lease ends and sessions it could not report end as ABORTED")
    public Map<String, Integer> end(@PathParam("instance") UUID instance) {
        bastion.require("hold bastion leases");
        int aborted = leases.end(instance, bastion.clientId());
        if (aborted < 0) {
            throw new RefusedException(Refusal.notFound("no_such_lease", "this client holds no lease " + instance));
        }
        return Map.of("abortedSessions", aborted);
    }
}
