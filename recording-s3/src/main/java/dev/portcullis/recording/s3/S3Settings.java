package dev.portcullis.recording.s3;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Where the S3 backend keeps recordings and how it reaches the bucket: AWS S3 (no endpoint), or MinIO, Ceph RGW,
 * SeaweedFS and S3Proxy at an endpoint of their own, path-style or virtual-host style. Without an access key the
 * SDK's default credential chain (environment, profile, web identity, container or instance role) is used.
 *
 * @param bucket      the bucket (must exist)
 * @param endpoint    the S3 endpoint, or null for AWS S3 in {@code region}
 * @param region      the region requests are signed for
 * @param prefix      the key prefix all recordings live under ("" or ending in "/"); each bastion segment writes
 *                    below it under its own name
 * @param pathStyle   bucket in the path ({@code http://host/bucket/key}) rather than in the host name
 * @param accessKeyId with {@code secretKey}: static credentials; null for the default chain
 * @param secretKey   the secret access key (never logged)
 * @param objectLock  COMPLIANCE or GOVERNANCE retention put on every object, or null (bucket without Object Lock)
 * @param lockFor     how long each object is locked with {@code objectLock}
 */
public record S3Settings(
        String bucket,
        URI endpoint,
        String region,
        String prefix,
        boolean pathStyle,
        String accessKeyId,
        String secretKey,
        String objectLock,
        Duration lockFor) {

    /** Bucket names as S3 allows them (3-63 lower-case letters, digits, dots, hyphens). */
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    /** Key prefixes: path segments of safe characters, so a prefix cannot reach outside itself. */
    private static final Pattern PREFIX = Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]{0,127}/)*");

    public S3Settings {
        if (bucket == null || !BUCKET.matcher(bucket).matches()) {
            throw new IllegalArgumentException("the recordings bucket must be an S3 bucket name (3-63 lower-case "
                    + "letters, digits, dots, hyphens), not '" + bucket + "'");
        }
        if (endpoint != null
                && (endpoint.getHost() == null
                        || !("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme())))) {
            throw new IllegalArgumentException("the S3 endpoint must be an http or https URL, not '" + endpoint + "'");
        }
        Objects.requireNonNull(region, "region");
        if (!region.matches("[a-z0-9-]{2,32}")) {
            throw new IllegalArgumentException("the S3 region must look like us-east-1, not '" + region + "'");
        }
        prefix = prefix == null ? "" : prefix;
        if (!PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("the S3 key prefix must be empty or path segments of letters, digits, "
                    + "'.', '_', '-' each ending in '/', not '" + prefix + "'");
        }
        if ((accessKeyId == null) != (secretKey == null)) {
            throw new IllegalArgumentException("the S3 access key id and secret access key go together "
                    + "(or leave both out for the SDK's default credential chain)");
        }
        if (objectLock != null) {
            if (!objectLock.equals("COMPLIANCE") && !objectLock.equals("GOVERNANCE")) {
                throw new IllegalArgumentException(
                        "the S3 Object Lock mode must be COMPLIANCE or GOVERNANCE, not '" + objectLock + "'");
            }
            if (lockFor == null || lockFor.isNegative() || lockFor.isZero()) {
                throw new IllegalArgumentException("an S3 Object Lock mode needs a retention of at least 1 day");
            }
        }
    }

    /** The prefix one bastion segment writes under: its own, so its credentials can be limited to it. */
    public String segmentPrefix(String segment) {
        if (segment == null || !PREFIX.matcher(segment + "/").matches() || segment.contains("/")) {
            throw new IllegalArgumentException("a bastion segment name for S3 keys must be letters, digits, '.', "
                    + "'_', '-', not '" + segment + "'");
        }
        return prefix + segment + "/";
    }

    /**
     * Reads the settings by name, e.g. {@code PORTCULLIS_RECORDINGS_S3_} + {@code BUCKET} from a bastion's
     * environment, or {@code portcullis.recordings.s3.} + {@code bucket} from the broker's configuration.
     *
     * @param names       how a setting's short name (BUCKET, ENDPOINT, ...) is spelled in {@code lookup}
     * @return the settings, or null when no bucket is set (the filesystem backend)
     * @throws IllegalArgumentException with one line naming the bad setting
     */
    public static S3Settings read(Function<String, String> lookup, Function<String, String> names) {
        String bucket = value(lookup, names, "BUCKET");
        if (bucket == null) {
            return null;
        }
        String endpoint = value(lookup, names, "ENDPOINT");
        URI uri = null;
        if (endpoint != null) {
            try {
                uri = new URI(endpoint);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException(names.apply("ENDPOINT") + " must be a URL: " + e.getMessage());
            }
        }
        String style = Objects.requireNonNullElse(value(lookup, names, "PATH_STYLE"), "true")
                .toLowerCase(Locale.ROOT);
        if (!style.equals("true") && !style.equals("false")) {
            throw new IllegalArgumentException(
                    names.apply("PATH_STYLE") + " must be true or false, not '" + style + "'");
        }
        String lock = value(lookup, names, "OBJECT_LOCK_MODE");
        Duration lockFor = null;
        String days = value(lookup, names, "OBJECT_LOCK_DAYS");
        if (days != null) {
            try {
                lockFor = Duration.ofDays(Long.parseLong(days));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(names.apply("OBJECT_LOCK_DAYS") + " must be a whole number of days");
            }
        }
        try {
            return new S3Settings(
                    bucket,
                    uri,
                    Objects.requireNonNullElse(value(lookup, names, "REGION"), "us-east-1"),
                    value(lookup, names, "PREFIX"),
                    style.equals("true"),
                    value(lookup, names, "ACCESS_KEY_ID"),
                    value(lookup, names, "SECRET_ACCESS_KEY"),
                    lock == null ? null : lock.toUpperCase(Locale.ROOT),
                    lockFor);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(names.apply("*") + ": " + e.getMessage(), e);
        }
    }

    /** The bastion's spelling: {@code PORTCULLIS_RECORDINGS_S3_BUCKET} and so on. */
    public static Function<String, String> environmentNames() {
        return name -> "PORTCULLIS_RECORDINGS_S3_" + name;
    }

    /** The broker's spelling: {@code portcullis.recordings.s3.bucket} and so on. */
    public static Function<String, String> propertyNames() {
        return name ->
                "portcullis.recordings.s3." + name.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static String value(Function<String, String> lookup, Function<String, String> names, String name) {
        String v = lookup.apply(names.apply(name));
        return v == null || v.isBlank() ? null : v.strip();
    }

    @Override
    public String toString() {
        // the secret key never reaches a log line
        return "s3://" + bucket + "/" + prefix + (endpoint == null ? " (AWS " + region + ")" : " at " + endpoint)
                + (pathStyle ? ", path-style" : ", virtual-host style")
                + (accessKeyId == null ? ", default credential chain" : ", access key " + accessKeyId)
                + (objectLock == null ? "" : ", Object Lock " + objectLock + " " + lockFor.toDays() + " d");
    }
}
