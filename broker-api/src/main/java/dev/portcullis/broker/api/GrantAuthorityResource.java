package dev.portcullis.broker.api;

import dev.portcullis.broker.grants.LocalGrantAuthority;
import dev.portcullis.contract.BastionApi;
import dev.portcullis.workflow.port.AccessRequestRepository;
import dev.portcullis.workflow.port.GrantAuthority;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.Refusal;
import io.quarkus.security.Authenticated;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The bastion's question, over HTTP: may this person use this login on this target, this way, now? */
@Path("/internal/v1/grants")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Internal (bastions)")
public class GrantAuthorityResource {

    @Inject
    BastionGuard bastion;

    /** A bastion asks about the grants of its live sessions in pages of at most this many. */
    static final int MAX_STATUS = 1000;

    @Inject
    LocalGrantAuthority authority;

    @Inject
    AccessRequestRepository requests;

    @Inject
    Clock clock;

    @POST
    @Path("/authorize")
    @Operation(summary = "Allowed with the live grant, or refused with a code and a message for the user")
    public BastionApi.AuthorizeAnswer authorize(BastionApi.AuthorizeRequest body) {
        bastion.require("ask for grant decisions");
        if (body == null) {
            throw new RefusedException(Refusal.invalid("body_required", null, "send {username, target, login, use}"));
        }
        GrantAuthority.Ask ask = new GrantAuthority.Ask(
                Input.required(body.username(), "username"),
                Input.required(body.target(), "target"),
                Input.required(body.login(), "login"),
                use(Input.required(body.use(), "use")),
                account(body.account()));
        return BastionApi.AuthorizeAnswer.of(authority.authorize(ask));
    }

    /**
     * Whether grants are still live, for the bastion's periodic re-check of the grants its sessions run under: the
     * safety net for a grant-ended event it never received. A grant the broker does not know is not live.
     */
    @POST
    @Path("/status")
    @Operation(summary = "Whether each of these grants is still live (ACTIVE and before its end)")
    public BastionApi.GrantStatusAnswer status(BastionApi.GrantStatusRequest body) {
        bastion.require("ask for grant states");
        if (body == null || body.requestIds() == null) {
            throw new RefusedException(Refusal.invalid("body_required", null, "send {requestIds: [...]}"));
        }
        if (body.requestIds().size() > MAX_STATUS) {
            throw new RefusedException(
                    Refusal.invalid("too_many", "requestIds", "ask about at most " + MAX_STATUS + " grants at once"));
        }
        Instant now = clock.instant();
        List<BastionApi.GrantStatus> answer = new ArrayList<>();
        for (UUID id : new LinkedHashSet<>(body.requestIds())) {
            if (id == null) {
                throw new RefusedException(
                        Refusal.invalid("bad_request_id", "requestIds", "request ids must not be null"));
            }
            Optional<AccessRequest> found;
            try {
                found = requests.find(id);
            } catch (RuntimeException e) {
                throw new GrantAuthority.AuthorityUnavailableException("the broker cannot read grants right now", e);
            }
            answer.add(found.map(r -> new BastionApi.GrantStatus(
                            id, r.isLiveAt(now), r.state().name(), r.target(), r.login(), r.endsAt(), r.endReason()))
                    .orElse(new BastionApi.GrantStatus(
                            id, false, "UNKNOWN", null, null, null, "the broker knows no such grant")));
        }
        return new BastionApi.GrantStatusAnswer(answer);
    }

    /** The account id the person's certificate names (absent for database credentials); blank is not an account. */
    private static String account(String value) {
        if (value != null && (value.isBlank() || value.length() > 255)) {
            throw new RefusedException(Refusal.invalid("bad_account", "account", "account must be a Keycloak user id"));
        }
        return value;
    }

    private static GrantAuthority.Use use(String value) {
        try {
            return GrantAuthority.Use.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new RefusedException(Refusal.invalid(
                    "bad_use", "use", "use must be one of " + Arrays.toString(GrantAuthority.Use.values())));
        }
    }
}
