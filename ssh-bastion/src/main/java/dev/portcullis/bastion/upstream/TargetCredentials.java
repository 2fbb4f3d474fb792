package dev.portcullis.bastion.upstream;

import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How the bastion logs in to one target.
 *
 * @param identity      the key for every login without its own, or null
 * @param perLogin      keys for particular logins
 * @param host          overrides the policy's address when not null
 */
public record TargetCredentials(
        String name, PublicKey hostKey, KeyPair identity, Map<String, KeyPair> perLogin, String host, int port) {

    public TargetCredentials {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(hostKey, "hostKey");
        perLogin = Map.copyOf(perLogin);
    }

    public Optional<KeyPair> identityFor(String login) {
        return Optional.ofNullable(perLogin.getOrDefault(login, identity));
    }

    @Override
    public String toString() {
        // never print key material
        return "TargetCredentials[" + name + "]";
    }
}
