package dev.portcullis.recording;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordingKeysTest {

    @TempDir
    Path directory;

    private final byte[] message = "manifest bytes".getBytes(StandardCharsets.UTF_8);

    @Test
    void a_generated_pair_is_saved_as_pem_and_loads_back_with_the_private_half_readable_only_by_its_owner()
            throws Exception {
        Path privateKey = directory.resolve("keys/recording.pem");
        Path publicKey = directory.resolve("keys/recording.pub.pem");

        RecordingSigner generated = RecordingKeys.loadOrGenerate(privateKey, publicKey);
        RecordingSigner loaded = RecordingKeys.loadOrGenerate(privateKey, publicKey);

        assertThat(loaded.publicKey()).isEqualTo(generated.publicKey());
        assertThat(RecordingSigner.verify(RecordingKeys.readPublicKey(publicKey), message, loaded.sign(message)))
                .isTrue();
        assertThat(Files.readString(privateKey)).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(Files.readString(publicKey)).startsWith("-----BEGIN PUBLIC KEY-----");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(privateKey)))
                .isEqualTo("rw-------");
    }

    @Test
    void keys_are_never_overwritten_or_half_regenerated() throws Exception {
        Path privateKey = directory.resolve("recording.pem");
        Path publicKey = directory.resolve("recording.pub.pem");
        RecordingKeys.save(RecordingKeys.generateKeyPair(), privateKey, publicKey);
        String before = Files.readString(privateKey);

        assertThatThrownBy(() -> RecordingKeys.save(RecordingKeys.generateKeyPair(), privateKey, publicKey))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readString(privateKey)).isEqualTo(before);
        Files.delete(publicKey);
        assertThatThrownBy(() -> RecordingKeys.loadOrGenerate(privateKey, publicKey))
                .hasMessageContaining("only one of");
    }

    @Test
    void a_public_key_that_does_not_belong_to_the_private_key_is_refused() throws Exception {
        RecordingKeys.save(RecordingKeys.generateKeyPair(), directory.resolve("a.pem"), directory.resolve("a.pub.pem"));
        RecordingKeys.save(RecordingKeys.generateKeyPair(), directory.resolve("b.pem"), directory.resolve("b.pub.pem"));

        assertThatThrownBy(() -> RecordingKeys.load(directory.resolve("a.pem"), directory.resolve("b.pub.pem")))
                .hasMessageContaining("is not the public key of");
    }

    @Test
    void keys_made_by_openssl_load() throws Exception {
        Path openssl = Stream.of(System.getenv("PATH").split(File.pathSeparator))
                .map(dir -> Path.of(dir, "openssl"))
                .filter(Files::isExecutable)
                .findFirst()
                .orElse(null);
        assumeTrue(openssl != null, "openssl is not installed; PEM compatibility with it is not checked");
        Path privateKey = directory.resolve("openssl.pem");
        Path publicKey = directory.resolve("openssl.pub.pem");
        run(openssl.toString(), "genpkey", "-algorithm", "ed25519", "-out", privateKey.toString());
        run(openssl.toString(), "pkey", "-in", privateKey.toString(), "-pubout", "-out", publicKey.toString());

        RecordingSigner signer = RecordingKeys.load(privateKey, publicKey);

        assertThat(RecordingSigner.verify(RecordingKeys.readPublicKey(publicKey), message, signer.sign(message)))
                .isTrue();
    }

    private static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
    }
}
