package dev.portcullis.workflow.port;

import java.util.Set;

import dev.portcullis.workflow.request.AccessRequest;

/** Tells people that something needs them or concerns them. Best effort: a failed notification never undoes a decision. */
public interface Notifier {

    void reviewNeeded(AccessRequest request, Set<String> approverGroups);

    void stateChanged(AccessRequest request);
}
