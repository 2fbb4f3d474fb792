package dev.portcullis.broker.notify;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signatures per the Standard Webhooks specification: {@code webhook-signature: v1,BASE64(HMAC-SHA256(key,
 * id.timestamp.body))}, the key being the base64 after {@code whsec_} in the secret. Receivers check it with any of the
 * specification's libraries; {@link #verify} is the same check, for the tests' receiver.
 */
public final class StandardWebhooks {

    private static final String PREFIX = "whsec_";
    private final byte[] key;

    private StandardWebhooks(byte[] key) {
        this.key = key;
    }

    /** Refuses, in one line, a secret that is not {@code whsec_} and base64 of at least 24 bytes. */
    public static StandardWebhooks ofSecret(String secret) {
        if (secret == null || !secret.startsWith(PREFIX)) {
            throw new IllegalArgumentException("a webhook secret is whsec_ followed by base64 (Standard Webhooks)");
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the webhook secret after whsec_ is not base64");
        }
        if (key.length < 24) {
            throw new IllegalArgumentException("the webhook secret is too short: at least 24 random bytes");
        }
        return new StandardWebhooks(key);
    }

    public String sign(String id, long timestampSeconds, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] digest = mac.doFinal((id + "." + timestampSeconds + "." + body).getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is missing from this JVM", e);
        }
    }

    /** Whether any of the space-separated signatures in the header is this body's, in constant time. */
    public boolean verify(String id, long timestampSeconds, String body, String signatureHeader) {
        byte[] expected = sign(id, timestampSeconds, body).getBytes(StandardCharsets.US_ASCII);
        boolean found = false;
        for (String candidate : signatureHeader == null ? new String[0] : signatureHeader.split(" ")) {
            found |= MessageDigest.isEqual(expected, candidate.getBytes(StandardCharsets.US_ASCII));
        }
        return found;
    }
}
