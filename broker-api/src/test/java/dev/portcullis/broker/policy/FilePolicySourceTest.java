package dev.portcullis.broker.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker does not start with a policy whose jitGroup would let it manage a group outside portcullis.jit.parent. */
@Tag("unit")
class FilePolicySourceTest {

    private static final String POLICY = """
            version: 1
            targets: [{name: t, kind: ssh, host: 127.0.0.1}]
            rules:
              - {name: r, requesters: [/engineers], targets: [t], logins: [u], maxDuration: 1h,
                 approvals: {required: 1, from: [/sre-approvers]}, jitGroup: JIT}
            """;

    @Test
    void aJitGroupOutsideTheParentIsALoadError(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("policy.yaml");
        for (String admins : new String[] {"admins", "/admins"}) {
            Files.writeString(file, POLICY.replace("JIT", admins));
            assertThatThrownBy(() -> new FilePolicySource(file.toString(), "/jit"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageEndingWith(file + ":line 5: jitGroup '" + admins + "' must be a group below /jit"
                            + " (portcullis.jit.parent); the broker manages the members of no other group");
        }

        Files.writeString(file, POLICY.replace("JIT", "/jit/db-admins"));
        assertThat(new FilePolicySource(file.toString(), "/jit")
                        .current()
                        .rule("r")
                        .orElseThrow()
                        .jitGroup())
                .isEqualTo("/jit/db-admins");
        assertThatThrownBy(() -> new FilePolicySource(file.toString(), "/ops/jit"))
                .hasMessageContaining("must be a group below /ops/jit");
    }
}
