package dev.portcullis.workflow.policy;

/**
 * What a session under a rule may do beyond a shell, exec, SFTP and scp. Everything that widens the
 * reach of a session past the one target is off unless the rule turns it on.
 *
 * @param portForwarding  TCP port forwarding (ssh -L / -R) through the target
 * @param agentForwarding ssh-agent forwarding to the target
 * @param recordInput     keystrokes are recorded as well as output; off for rules whose sessions type secrets
 */
public record SessionOptions(boolean portForwarding, boolean agentForwarding, boolean recordInput) {

    public static final SessionOptions DEFAULT = new SessionOptions(false, false, true);
}
