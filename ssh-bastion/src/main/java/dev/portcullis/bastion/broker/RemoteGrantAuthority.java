package dev.portcullis.bastion.broker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.contract.BastionApi.AuthorizeAnswer;
import dev.portcullis.contract.BastionApi.AuthorizeRequest;
import dev.portcullis.workflow.port.GrantAuthority;
import java.io.IOException;

/** {@link GrantAuthority} over the broker's {@code POST /internal/v1/grants/authorize}. */
public final class RemoteGrantAuthority implements GrantAuthority {

    private final BrokerClient broker;

    public RemoteGrantAuthority(BrokerClient broker) {
        this.broker = broker;
    }

    @Override
    public Decision authorize(Ask ask) {
        JsonNode answer;
        try {
            // with the certificate's account, when there is one: only its own grants count
            answer = broker.post("/internal/v1/grants/authorize", AuthorizeRequest.of(ask));
        } catch (IOException e) {
            throw new AuthorityUnavailableException("the broker did not answer: " + e.getMessage(), e);
        }
        try {
            return BrokerClient.read(answer, AuthorizeAnswer.class).decision();
        } catch (IOException | RuntimeException e) {
            // an answer we cannot read is never taken as a yes
            throw new AuthorityUnavailableException("the broker's answer could not be read: " + e, e);
        }
    }
}
