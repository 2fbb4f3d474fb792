package dev.portcullis.broker.api;

import dev.portcullis.workflow.request.Refusal;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Lets only bastions through: a token issued to a bastion service client ({@code azp}), normally by the
 * client-credentials grant. There is no static shared secret; a person's token is refused whatever their groups.
 * Which clients are bastions, and of which segment, is {@link BastionSegments}.
 */
@RequestScoped
public class BastionGuard {

    @Inject
    JsonWebToken token;

    @Inject
    BastionSegments segments;

    /** Whether the caller is a bastion service client. */
    public boolean isBastion() {
        return segments.isBastion(azp());
    }

    /** @param what what only bastions may do, for the refusal ("read grant events") */
    public void require(String what) {
        if (!segments.isBastion(azp())) {
            throw new RefusedException(Refusal.forbidden(
                    "not_a_bastion",
                    "only bastions (the " + String.join(", ", segments.clients()) + " service clients) may " + what));
        }
    }

    /** The calling bastion's client id, for the audit trail and its segment. */
    public String clientId() {
        return azp();
    }

    private String azp() {
        Object azp = token.getClaim("azp");
        return azp == null ? null : azp.toString();
    }
}
