package dev.portcullis.bastion.broker;

import dev.portcullis.contract.BastionApi.CredentialHolder;
import dev.portcullis.contract.BastionApi.CredentialToVerify;
import dev.portcullis.workflow.port.DatabaseCredentials;
import dev.portcullis.workflow.port.DatabaseCredentials.Holder;
import dev.portcullis.workflow.port.GrantAuthority.AuthorityUnavailableException;
import java.io.IOException;
import java.util.Optional;

/** {@link DatabaseCredentials} over the broker's {@code POST /internal/v1/db/credentials/verify}. */
public final class RemoteDatabaseCredentials implements DatabaseCredentials {

    private final BrokerClient broker;

    public RemoteDatabaseCredentials(BrokerClient broker) {
        this.broker = broker;
    }

    @Override
    public Optional<Holder> holderOf(String credential, String target) {
        CredentialHolder answer;
        try {
            answer = broker.post(
                    "/internal/v1/db/credentials/verify",
                    new CredentialToVerify(credential, target),
                    CredentialHolder.class);
        } catch (BrokerClient.BrokerException e) {
            if (e.status() == 404 || e.status() == 422) {
                return Optional.empty(); // unknown, expired, for another target or malformed
            }
            throw new AuthorityUnavailableException(
                    "the broker refused to verify a database credential: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new AuthorityUnavailableException("the broker did not answer: " + e.getMessage(), e);
        }
        String username = answer == null || answer.username() == null ? "" : answer.username();
        String account = answer == null || answer.account() == null ? "" : answer.account();
        if (username.isEmpty() || account.isEmpty()) {
            // without the account the proxy could only ask by name, which a renamed or recreated user shares
            throw new AuthorityUnavailableException("the broker's answer names no person or no account", null);
        }
        return Optional.of(new Holder(username, account));
    }
}
