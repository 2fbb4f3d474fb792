package dev.portcullis.broker.web;

import static dev.portcullis.broker.web.Formats.nz;
import static dev.portcullis.broker.web.Formats.time;

import dev.portcullis.broker.api.DatabaseResource;
import dev.portcullis.workflow.AccessWorkflow;
import dev.portcullis.workflow.policy.AccessRule;
import dev.portcullis.workflow.policy.Durations;
import dev.portcullis.workflow.policy.TargetKind;
import dev.portcullis.workflow.port.IdentityDirectory;
import dev.portcullis.workflow.port.JitGroups;
import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.RequestState;
import dev.portcullis.workflow.request.SeparationOfDuties;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/** A request as a card on the access and approvals pages: its state, its reviews, who may still approve, how to connect. */
@ApplicationScoped
public class RequestCards {

    private static final Logger LOG = Logger.getLogger(RequestCards.class);

    @Inject
    AccessWorkflow workflow;

    @Inject
    JitGroups directory;

    @ConfigProperty(name = "portcullis.web.bastion-host")
    String bastionHost;

    @ConfigProperty(name = "portcullis.web.bastion-ssh-port")
    int bastionSshPort;

    /** Where people reach the bastions' PostgreSQL proxy: the same address the database credentials name. */
    @ConfigProperty(name = "portcullis.db.proxy-host")
    String databaseProxyHost;

    @ConfigProperty(name = "portcullis.db.proxy-port")
    int databaseProxyPort;

    /**
     * @param approvers null to not list who may still approve; otherwise the members of approver groups read so far for
     *                  this page (group path to its members, empty when the read failed), shared by all its cards, so a
     *                  page asks Keycloak once per group however many cards it shows
     */
    Views.RequestCard card(AccessRequest r, Actor viewer, Instant now, Map<String, Optional<Set<String>>> approvers) {
        AccessRule rule = workflow.policy().rule(r.rule()).orElse(null);
        boolean canReview =
                rule != null && now.isBefore(r.pendingUntil()) && SeparationOfDuties.mayReview(r, viewer, rule);
        List<Views.ReviewLine> reviews = r.reviews().stream()
                .map(rv -> new Views.ReviewLine(
                        rv.reviewer(),
                        rv.decision() == dev.portcullis.workflow.request.Review.Decision.APPROVE
                                ? "approved"
                                : "denied",
                        nz(rv.comment()),
                        time(rv.at())))
                .toList();
        String stillCanApprove = null;
        if (approvers != null && r.state() == RequestState.PENDING && rule != null) {
            stillCanApprove = stillCanApprove(r, rule, approvers);
        }
        Views.Connect connect = r.isLiveAt(now) && r.requester().equals(viewer.username()) ? connect(r) : null;
        return new Views.RequestCard(
                r.id().toString(),
                r.requester(),
                r.target(),
                r.kind().wireName(),
                r.login(),
                r.access().name().toLowerCase(Locale.ROOT),
                Durations.format(r.duration()),
                nz(r.reason()),
                nz(r.ticket()),
                r.state().name(),
                time(r.createdAt()),
                time(r.pendingUntil()),
                time(r.grantedAt()),
                time(r.endsAt()),
                r.endsAt() == null ? "" : r.endsAt().toString(),
                time(r.endedAt()),
                nz(r.endedBy()),
                nz(r.endReason()),
                reviews,
                r.approvalCount(),
                rule == null ? "?" : String.valueOf(rule.approvalsRequired()),
                rule == null ? "(rule removed from the policy)" : String.join(" or ", rule.sortedApproverGroups()),
                nz(stillCanApprove),
                r.requester().equals(viewer.username()),
                canReview,
                r.isLiveAt(now),
                connect);
    }

    /** Members of the rule's approver groups, asked live, less the requester and whoever reviewed already. */
    private String stillCanApprove(AccessRequest r, AccessRule rule, Map<String, Optional<Set<String>>> approvers) {
        Set<String> people = new TreeSet<>();
        for (String group : rule.sortedApproverGroups()) {
            Optional<Set<String>> members = approvers.computeIfAbsent(group, this::membersOrEmpty);
            if (members.isEmpty()) {
                return "members of " + String.join(" or ", rule.sortedApproverGroups()) + " other than you";
            }
            people.addAll(members.get());
        }
        people.remove(r.requester());
        r.reviews().forEach(rv -> people.remove(rv.reviewer()));
        return people.isEmpty()
                ? "nobody (no other member of " + String.join(" or ", rule.sortedApproverGroups()) + ")"
                : String.join(", ", people);
    }

    private Optional<Set<String>> membersOrEmpty(String group) {
        try {
            return Optional.of(directory.members(group));
        } catch (IdentityDirectory.DirectoryUnavailableException | IllegalStateException e) {
            LOG.debugf("cannot list the members of %s: %s", group, e.getMessage());
            return Optional.empty();
        }
    }

    /** The command for the grant's target kind, as the bastion's README gives it. */
    private Views.Connect connect(AccessRequest r) {
        if (r.kind() == TargetKind.POSTGRES) {
            String psql = DatabaseResource.connect(databaseProxyHost, databaseProxyPort, r.target(), r.login());
            return new Views.Connect(
                    "psql \"" + psql + "\"",
                    "through the bastion's PostgreSQL proxy, which checks your"
                            + " grant and records every statement; the password is a one-hour database credential for "
                            + r.target() + " from the broker (POST /api/v1/db/credentials with {\"target\": \""
                            + r.target()
                            + "\"}), and the proxy's CA (GET /api/v1/db/ca) saved as " + DatabaseResource.SSL_ROOT_CERT
                            + " verifies its certificate");
        }
        return new Views.Connect(
                "ssh -p " + bastionSshPort + " " + r.login() + "+" + r.target() + "@" + bastionHost,
                "with your SSH certificate from the broker (POST /api/v1/ssh/certificates) next to your key, e.g. ~/.ssh/id_ed25519-cert.pub");
    }
}
