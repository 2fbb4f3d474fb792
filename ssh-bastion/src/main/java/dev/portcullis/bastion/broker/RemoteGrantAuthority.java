package dev.portcullis.bastion.broker;

import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

import dev.portcullis.workflow.grant.ActiveGrant;
import dev.portcullis.workflow.policy.AccessLevel;
import dev.portcullis.workflow.policy.SessionOptions;
import dev.portcullis.workflow.policy.Target;
import dev.portcullis.workflow.policy.TargetKind;
import dev.portcullis.workflow.port.GrantAuthority;

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
            Map<String, String> question = new LinkedHashMap<>(Map.of("username", ask.username(),
                    "target", ask.target(), "login", ask.login(), "use", ask.use().name()));
            if (ask.account() != null) {
                question.put("account", ask.account()); // the certificate's account: only its own grants count
            }
            answer = broker.post("/internal/v1/grants/authorize", question);
        } catch (IOException e) {
            throw new AuthorityUnavailableException("the broker did not answer: " + e.getMessage(), e);
        }
        try {
            if (!answer.path("allowed").asBoolean(false)) {
                return new Refused(answer.path("code").asText("refused"), answer.path("message").asText("refused by the broker"));
            }
            JsonNode g = answer.get("grant");
            JsonNode t = g.get("target");
            JsonNode s = g.path("session");
            Target target = new Target(t.get("name").asText(), TargetKind.valueOf(t.get("kind").asText()), t.get("host").asText(),
                    t.get("port").asInt(), t.hasNonNull("database") ? t.get("database").asText() : null, Map.of());
            return new Allowed(new ActiveGrant(UUID.fromString(g.get("requestId").asText()), g.get("holder").asText(), target,
                    g.get("login").asText(), AccessLevel.valueOf(g.get("access").asText()), Instant.parse(g.get("endsAt").asText()),
                    new SessionOptions(s.path("portForwarding").asBoolean(false), s.path("agentForwarding").asBoolean(false),
                            s.path("recordInput").asBoolean(true), s.path("recordQueryParameters").asBoolean(true))));
        } catch (RuntimeException e) {
            // an answer we cannot read is never taken as a yes
            throw new AuthorityUnavailableException("the broker's answer could not be read: " + e, e);
        }
    }
}
