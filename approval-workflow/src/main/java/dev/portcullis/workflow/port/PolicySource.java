package dev.portcullis.workflow.port;

import dev.portcullis.workflow.policy.PolicySet;

/** The policy in force now. Decisions always read it afresh, so a tightened policy applies to pending requests too. */
public interface PolicySource {

    PolicySet current();
}
