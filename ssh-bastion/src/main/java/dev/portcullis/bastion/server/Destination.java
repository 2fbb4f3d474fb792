package dev.portcullis.bastion.server;

import dev.portcullis.workflow.policy.PolicyLoader;
import java.util.Optional;

/**
 * Where a connection goes, from the SSH user name: {@code ubuntu+prod-web-1} means login {@code ubuntu} on
 * target {@code prod-web-1}. The person is never part of the name: it comes from the certificate.
 */
public record Destination(String login, String target) {

    /** @return the destination, or empty when the name is not {@code login+target} */
    public static Optional<Destination> parse(String username) {
        int plus = username.indexOf('+');
        if (plus <= 0 || plus != username.lastIndexOf('+')) {
            return Optional.empty();
        }
        String login = username.substring(0, plus);
        String target = username.substring(plus + 1);
        if (!PolicyLoader.LOGIN.matcher(login).matches()
                || !PolicyLoader.NAME.matcher(target).matches()) {
            return Optional.empty();
        }
        return Optional.of(new Destination(login, target));
    }

    /** Same rules as the policy's logins and target names, so nothing reaches the broker that the policy could not name. */
    public static boolean validLogin(String login) {
        return PolicyLoader.LOGIN.matcher(login).matches();
    }

    public static boolean validTarget(String target) {
        return PolicyLoader.NAME.matcher(target).matches();
    }

    @Override
    public String toString() {
        return login + "@" + target;
    }
}
