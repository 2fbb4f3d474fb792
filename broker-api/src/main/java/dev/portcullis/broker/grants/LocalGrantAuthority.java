package dev.portcullis.broker.grants;

import dev.portcullis.broker.persistence.PostgresAccessRequestRepository;
import dev.portcullis.workflow.grant.GrantDecision;
import dev.portcullis.workflow.port.AccessRequestRepository;
import dev.portcullis.workflow.port.AuditEvent;
import dev.portcullis.workflow.port.AuditSink;
import dev.portcullis.workflow.port.GrantAuthority;
import dev.portcullis.workflow.port.PolicySource;
import dev.portcullis.workflow.port.RequestQuery;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.RequestState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The broker answering a bastion's question itself: the asker's active grants for the target, the policy in
 * force and the broker's clock go into the pure {@link GrantDecision}. A bastion inside the broker calls this
 * directly; remote bastions reach it through {@code POST /internal/v1/grants/authorize}. Refusals go to the
 * audit trail (the session index records what was allowed).
 */
@ApplicationScoped
public class LocalGrantAuthority implements GrantAuthority {

    /** More active grants than anyone holds for one target; the decision picks the one that ends last. */
    private static final int MAX_GRANTS = 100;

    @Inject
    AccessRequestRepository requests;

    /** The requesters' account ids (V11), which the port does not carry. */
    @Inject
    PostgresAccessRequestRepository accounts;

    @Inject
    PolicySource policies;

    @Inject
    AuditSink audit;

    @Inject
    Clock clock;

    @Override
    public Decision authorize(Ask ask) {
        List<AccessRequest> grants;
        try {
            grants = requests.list(new RequestQuery(
                    ask.username(), null, null, Set.of(RequestState.ACTIVE), ask.target(), MAX_GRANTS));
            if (ask.account() != null && !grants.isEmpty()) {
                grants = askedBy(ask.account(), grants);
            }
        } catch (RuntimeException e) {
            // The database is down or overloaded: no answer is a refusal at the bastion, never an allowance.
            throw new AuthorityUnavailableException("the broker cannot read grants right now: " + e.getMessage(), e);
        }
        Decision decision = grants == null
                ? new Refused(
                        "account_mismatch",
                        "the grant for " + ask.login() + "@" + ask.target() + " under the name "
                                + ask.username() + " was asked for by another account than the one your "
                                + (ask.use() == Use.DATABASE
                                        ? "database credential was issued to"
                                        : "certificate names"))
                : GrantDecision.decide(ask, grants, policies.current(), clock.instant());
        if (decision instanceof Refused refused) {
            audit.append(new AuditEvent(
                    clock.instant(),
                    ask.username(),
                    "session.refused",
                    "target",
                    ask.target(),
                    Map.of(
                            "code",
                            refused.code(),
                            "target",
                            ask.target(),
                            "login",
                            ask.login(),
                            "use",
                            ask.use().name())));
        }
        return decision;
    }

    /**
     * The grants this account asked for itself, or null when there were grants under the name but every one was asked
     * for by another account (the name has passed to a new account, and continuous verification has not yet revoked
     * the old one's grants). A grant asked for before account ids were recorded (V11) counts for no account.
     */
    private List<AccessRequest> askedBy(String account, List<AccessRequest> grants) {
        Map<UUID, String> askedBy =
                accounts.requesterIds(grants.stream().map(AccessRequest::id).toList());
        List<AccessRequest> own =
                grants.stream().filter(g -> account.equals(askedBy.get(g.id()))).toList();
        return own.isEmpty() ? null : own;
    }
}
