package dev.portcullis.broker.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Which bastion service clients exist and which host names each one's segment may be certified for. A bastion's
 * token is a bearer secret: if one is stolen, it must not buy host certificates for another segment's names (a
 * certificate for {@code bastion-b} lets whoever holds it impersonate segment b's bastion to users).
 * <p>
 * {@code portcullis.bastion.segments} lists the segments as {@code client: name name ...} separated by
 * {@code ;}, e.g. {@code portcullis-bastion-a: bastion-a.example.com prod-web-1; portcullis-bastion-b: ...}.
 * Unset, there is one segment: the client {@code portcullis.bastion.client-id}, for every name the host CA knows
 * (a single-segment installation such as the quickstart).
 */
@ApplicationScoped
public class BastionSegments {

    private final Map<String, Set<String>> namesByClient;

    @Inject
    public BastionSegments(
            @ConfigProperty(name = "portcullis.bastion.client-id", defaultValue = "portcullis-bastion")
                    String singleClient,
            @ConfigProperty(name = "portcullis.bastion.segments") Optional<String> segments) {
        this.namesByClient = segments.filter(s -> !s.isBlank())
                .map(BastionSegments::parse)
                .orElseGet(() -> Map.of(singleClient.strip(), Set.of()));
    }

    /** For tests: the parsed form of a {@code portcullis.bastion.segments} value. */
    static Map<String, Set<String>> parse(String text) {
        Map<String, Set<String>> parsed = new LinkedHashMap<>();
        for (String entry : text.split(";")) {
            if (entry.isBlank()) {
                continue;
            }
            int colon = entry.indexOf(':');
            String client = colon < 0 ? "" : entry.substring(0, colon).strip();
            if (client.isEmpty()) {
                throw new IllegalStateException(
                        "portcullis.bastion.segments: '" + entry.strip() + "' is not 'client-id: name name ...'");
            }
            Set<String> names = new LinkedHashSet<>();
            for (String name : entry.substring(colon + 1).split("[\\s,]+")) {
                if (!name.isBlank()) {
                    names.add(name.strip());
                }
            }
            if (names.isEmpty() || parsed.put(client, Set.copyOf(names)) != null) {
                throw new IllegalStateException("portcullis.bastion.segments: client " + client
                        + " must appear once, with at least one host name");
            }
        }
        if (parsed.isEmpty()) {
            throw new IllegalStateException("portcullis.bastion.segments names no segment");
        }
        return Map.copyOf(parsed);
    }

    public boolean isBastion(String clientId) {
        return clientId != null && namesByClient.containsKey(clientId);
    }

    /** The names this client's host certificates may carry; empty: every name the host CA knows (one segment). */
    public Set<String> namesOf(String clientId) {
        return namesByClient.getOrDefault(clientId, Set.of());
    }

    /** Whether the client's segment may be certified for this name. */
    public boolean allows(String clientId, String name) {
        Set<String> names = namesByClient.get(clientId);
        return names != null && (names.isEmpty() || names.contains(name));
    }

    public Set<String> clients() {
        return namesByClient.keySet();
    }
}
