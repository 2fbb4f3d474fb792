package dev.portcullis.bastion.broker;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import dev.portcullis.workflow.port.DatabaseCredentials;
import dev.portcullis.workflow.port.GrantAuthority.AuthorityUnavailableException;

/** {@link DatabaseCredentials} over the broker's {@code POST /internal/v1/db/credentials/verify}. */
public final class RemoteDatabaseCredentials implements DatabaseCredentials {

    private final BrokerClient broker;

    public RemoteDatabaseCredentials(BrokerClient broker) {
        this.broker = broker;
    }

    @Override
    public Optional<String> holderOf(String credential, String target) {
        JsonNode answer;
        try {
            answer = broker.post("/internal/v1/db/credentials/verify",
                    Map.of("credential", credential, "target", target));
        } catch (BrokerClient.BrokerException e) {
            if (e.status() == 404 || e.status() == 422) {
                return Optional.empty(); // unknown, expired, for another target or malformed
            }
            throw new AuthorityUnavailableException("the broker refused to verify a database credential: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new AuthorityUnavailableException("the broker did not answer: " + e.getMessage(), e);
        }
        String username = answer.path("username").asText("");
        if (username.isEmpty()) {
            throw new AuthorityUnavailableException("the broker's answer names nobody", null);
        }
        return Optional.of(username);
    }
}
