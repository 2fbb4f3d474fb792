package dev.portcullis.workflow.policy;

/**
 * What a session under a rule may do beyond a shell, exec, SFTP and scp, and what its recording keeps.
 * Everything that widens the reach of a session past the one target is off unless the rule turns it on.
 *
 * @param portForwarding        TCP port forwarding (ssh -L / -D) through the target
 * @param agentForwarding       ssh-agent forwarding to the target
 * @param recordInput           keystrokes are recorded as well as output; off for rules whose sessions type secrets
 * @param recordQueryParameters the values bound to a database statement's parameters are recorded with it; off
 *                              (recorded as redacted) for rules whose queries carry personal data or secrets
 */
public record SessionOptions(
        boolean portForwarding, boolean agentForwarding, boolean recordInput, boolean recordQueryParameters) {

    public static final SessionOptions DEFAULT = new SessionOptions(false, false, true, true);

    public SessionOptions(boolean portForwarding, boolean agentForwarding, boolean recordInput) {
        this(portForwarding, agentForwarding, recordInput, DEFAULT.recordQueryParameters);
    }
}
