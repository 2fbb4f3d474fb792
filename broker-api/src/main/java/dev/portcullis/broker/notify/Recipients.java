package dev.portcullis.broker.notify;

import dev.portcullis.broker.identity.KeycloakDirectory;
import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.port.IdentityDirectory.DirectoryUnavailableException;
import dev.portcullis.workflow.request.AccessRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.TreeMap;

/**
 * Who reads a message by mail, asked of Keycloak when it is sent: the enabled members of the rule's approver groups (not
 * the requester, not who already reviewed it), or the requester; each with the email address Keycloak has for them.
 */
@ApplicationScoped
public class Recipients implements EmailChannel.Recipients {

    @Inject
    KeycloakDirectory directory;

    @Inject
    AccessWorkflow workflow;

    @Override
    public Map<String, String> of(Notice notice) throws Channel.DeliveryException {
        Notice.Facts f = notice.facts();
        Map<String, String> to = new TreeMap<>();
        try {
            switch (notice.event().audience()) {
                case APPROVERS -> {
                    AccessRequest request = workflow.find(f.request()).orElse(null);
                    for (String group : f.approverGroups()) {
                        directory.memberEmails(group).forEach((username, email) -> {
                            boolean reviewed = request != null && request.hasReviewed(username);
                            if (!username.equals(f.requester()) && !reviewed) {
                                to.put(username, email);
                            }
                        });
                    }
                }
                case REQUESTER -> directory.email(f.requester()).ifPresent(email -> to.put(f.requester(), email));
                case NOBODY -> {}
            }
        } catch (DirectoryUnavailableException e) {
            throw new Channel.DeliveryException("Keycloak: " + e.getMessage(), false);
        }
        return to;
    }
}
