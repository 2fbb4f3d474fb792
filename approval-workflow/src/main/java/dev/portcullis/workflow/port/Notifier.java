package dev.portcullis.workflow.port;

import dev.portcullis.workflow.request.AccessRequest;
import java.util.Set;

/**
 * Tells people that something needs them or concerns them. Called inside the transaction that stores the decision, and
 * again when that change is re-applied after a concurrent one: an implementation records what to send (an outbox in the
 * same store) and never sends from here, so a slow or dead endpoint never slows, blocks or undoes a decision.
 */
public interface Notifier {

    void reviewNeeded(AccessRequest request, Set<String> approverGroups);

    /** The request moved to {@code request.state()}: approved and started (ACTIVE), denied, timed out, ended, ... */
    void stateChanged(AccessRequest request);
}
