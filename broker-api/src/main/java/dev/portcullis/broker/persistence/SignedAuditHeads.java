package dev.portcullis.broker.persistence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.recording.RecordingKeys;
import dev.portcullis.recording.RecordingSigner;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The audit chain's head, signed with an Ed25519 key that lives outside the database (a file beside the SSH CA keys)
 * and kept outside it too: whoever holds a database login, the owner's included, can rewrite every row and the head row
 * consistently, but cannot make the newest signed head match a chain other than the one it was signed over, nor
 * delete it. Files are append-only JSON Lines, one per day and broker ({@code audit-heads-<date>-<instance>.jsonl}),
 * never rewritten; each line is {@code {"lastId", "lastHash", "signedAt", "signature"}}, the signature over
 * {@link #message}.
 */
@ApplicationScoped
@Startup // a key that cannot be read or made stops the broker at start, not at its first signature
public class SignedAuditHeads {

    private static final Pattern FILE = Pattern.compile("audit-heads-(\\d{4}-\\d{2}-\\d{2})-[A-Za-z0-9._-]+\\.jsonl");
    private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");
    private static final DateTimeFormatter DAY = DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC);
    private static final ObjectMapper JSON = new ObjectMapper();

    @ConfigProperty(name = "portcullis.audit.head-key-file")
    Path keyFile;

    @ConfigProperty(name = "portcullis.audit.signed-heads-dir")
    Path directory;

    @ConfigProperty(name = "portcullis.audit.instance-name", defaultValue = "${HOSTNAME:broker}")
    String instanceName;

    private RecordingSigner signer;

    /** A signed head as read back: the chain had {@code lastId} rows, the newest with hash {@code lastHash}. */
    public record SignedHead(long lastId, String lastHash, Instant signedAt, String file) {}

    /** The newest signed head, or a line that does not verify (then the files were tampered with). */
    public record Newest(Optional<SignedHead> head, String problem) {}

    @PostConstruct
    void loadKey() {
        try {
            signer = RecordingKeys.loadOrGenerate(keyFile, publicKeyFile(keyFile));
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot load the audit head signing key " + keyFile + " or make " + directory + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /** {@code audit_head.pem} -> {@code audit_head.pub.pem}, as RecordingKeys pairs them. */
    static Path publicKeyFile(Path privateKey) {
        String name = privateKey.getFileName().toString();
        String base = name.endsWith(".pem") ? name.substring(0, name.length() - 4) : name;
        return privateKey.resolveSibling(base + ".pub.pem");
    }

    static byte[] message(long lastId, String lastHash, Instant signedAt) {
        String text = "portcullis-audit-head\n" + lastId + "\n" + lastHash + "\n" + signedAt + "\n";
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Signs a statement the broker vouches for in an audit row (a recording's tombstone), with the audit head key:
     * whoever can append rows to the audit trail through the database alone cannot forge one. Each kind of statement
     * starts with a line of its own ({@code portcullis-recording-tombstone}), so none can pass for a signed head.
     */
    public byte[] signStatement(byte[] statement) {
        if (new String(statement, StandardCharsets.UTF_8).startsWith("portcullis-audit-head\n")) {
            throw new IllegalArgumentException("a statement must not look like a signed audit head");
        }
        return signer.sign(statement);
    }

    /** Whether {@code signature} is the audit head key's over {@code statement}. */
    public boolean verifiesStatement(byte[] statement, byte[] signature) {
        return RecordingSigner.verify(signer.publicKey(), statement, signature);
    }

    /** The audit head public key, PEM: what signed heads and tombstones verify with outside the broker. */
    public String publicKeyPem() {
        return RecordingKeys.publicKeyPem(signer.publicKey());
    }

    /** Signs the head and appends it, flushed to the disk, to today's file of this broker. */
    public synchronized SignedHead sign(long lastId, String lastHash, Instant now) {
        String signature = Base64.getEncoder().encodeToString(signer.sign(message(lastId, lastHash, now)));
        String line = "{\"lastId\":" + lastId + ",\"lastHash\":\"" + lastHash + "\",\"signedAt\":\"" + now
                + "\",\"signature\":\"" + signature + "\"}\n";
        String instance = instanceName.replaceAll("[^A-Za-z0-9._-]", "_");
        Path file = directory.resolve("audit-heads-" + DAY.format(now) + "-" + instance + ".jsonl");
        try {
            if (!Files.exists(file)) {
                try {
                    Files.createFile(
                            file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----")));
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // the other writer of this name made it first; append as usual
                }
            }
            try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                out.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
                out.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append the signed audit head to " + file + ": " + e.getMessage(), e);
        }
        return new SignedHead(lastId, lastHash, now, file.getFileName().toString());
    }

    /**
     * The signed head with the highest id in the newest day's files (heads only grow, so the newest day holds it).
     * Every line read must verify; a torn last line (a crash while appending) is skipped.
     */
    public Newest newest() {
        List<Path> newestDay = new ArrayList<>();
        String day = null;
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Matcher m = FILE.matcher(file.getFileName().toString());
                if (!m.matches() || !Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                int order = day == null ? 1 : m.group(1).compareTo(day);
                if (order > 0) {
                    day = m.group(1);
                    newestDay.clear();
                }
                if (order >= 0) {
                    newestDay.add(file);
                }
            }
        } catch (IOException e) {
            return unreadable(directory, e);
        }
        Line newest = null;
        for (Path file : newestDay) {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return unreadable(file, e);
            }
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length - 1; i++) { // the part after the last newline is torn or empty
                Line line = parse(lines[i], file.getFileName() + " line " + (i + 1));
                if (line == null) {
                    return new Newest(
                            Optional.empty(),
                            "line " + (i + 1) + " of the signed audit heads " + file.getFileName()
                                    + " is not a signed head");
                }
                if (newest == null || line.head().lastId() > newest.head().lastId()) {
                    newest = line;
                }
            }
        }
        // Only the newest head counts, so only its signature needs checking (a day's file holds 1,440 per replica).
        if (newest != null
                && !RecordingSigner.verify(
                        signer.publicKey(),
                        message(
                                newest.head().lastId(),
                                newest.head().lastHash(),
                                newest.head().signedAt()),
                        newest.signature())) {
            return new Newest(
                    Optional.empty(),
                    "the newest signed audit head (" + newest.where() + ") does not verify against the audit head key");
        }
        return new Newest(Optional.ofNullable(newest).map(Line::head), null);
    }

    private static Newest unreadable(Path where, IOException e) {
        return new Newest(
                Optional.empty(), "the signed audit heads in " + where + " cannot be read: " + e.getMessage());
    }

    private record Line(SignedHead head, byte[] signature, String where) {}

    private static Line parse(String line, String where) {
        try {
            JsonNode node = JSON.readTree(line);
            long lastId = node.get("lastId").asLong(-1);
            String lastHash = node.get("lastHash").asText();
            Instant signedAt = Instant.parse(node.get("signedAt").asText());
            byte[] signature = Base64.getDecoder().decode(node.get("signature").asText());
            if (lastId < 0 || !HASH.matcher(lastHash).matches()) {
                return null;
            }
            return new Line(new SignedHead(lastId, lastHash, signedAt, where), signature, where);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
