package dev.portcullis.bastion.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The database proxy's own TLS key as the bastion makes it at its first start: the keystore and its password are for
 * the bastion's account alone (keytool alone would leave the keystore at the umask), and nothing half-made is left.
 */
class DbTlsFilesTest {

    @TempDir
    Path state;

    @Test
    void theSelfSignedKeystoreAndItsPasswordAreTheBastionsAlone() throws Exception {
        assertThat(DbTls.selfSigned(state, List.of("localhost", "127.0.0.1"))).isNotNull();

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve("db-tls.p12"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve("db-tls.p12.pass"))))
                .isEqualTo("rw-------");
        assertThat(state.resolve("db-tls.crt")).isRegularFile();
        try (Stream<Path> files = Files.list(state)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("no work directory left behind")
                    .containsExactlyInAnyOrder("db-tls.p12", "db-tls.p12.pass", "db-tls.crt");
        }
        // a restart reads what the first start made
        assertThat(DbTls.selfSigned(state, List.of("localhost"))).isNotNull();
    }
}
