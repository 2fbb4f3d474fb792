package dev.portcullis.broker.api;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.jwt.JsonWebToken;

import dev.portcullis.workflow.request.Refusal;

/**
 * Lets only bastions through: a token issued to the bastion service client ({@code azp}), normally by the
 * client-credentials grant. There is no static shared secret; a person's token is refused whatever their groups.
 */
@RequestScoped
public class BastionGuard {

    @Inject
    JsonWebToken token;

    @ConfigProperty(name = "portcullis.bastion.client-id", defaultValue = "portcullis-bastion")
    String bastionClientId;

    /** Whether the caller is the bastion service client. */
    public boolean isBastion() {
        Object azp = token.getClaim("azp");
        return azp != null && bastionClientId.equals(azp.toString());
    }

    /** @param what what only bastions may do, for the refusal ("read grant events") */
    public void require(String what) {
        Object azp = token.getClaim("azp");
        if (azp == null || !bastionClientId.equals(azp.toString())) {
            throw new RefusedException(Refusal.forbidden("not_a_bastion",
                    "only bastions (the " + bastionClientId + " service client) may " + what));
        }
    }

    /** The calling bastion's client id, for the audit trail. */
    public String clientId() {
        return bastionClientId;
    }
}
