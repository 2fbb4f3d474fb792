package dev.portcullis.bastion.db;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;

/**
 * Coverage-guided fuzzing (Jazzer) of everything the proxy parses from a client before it is authenticated or
 * authorized: the startup packet, every message type, the read-only guard's SQL lexer, and the statement log fed
 * with what was parsed. The only acceptable failure is a {@link PgProtocolException} (or the end of the bytes); any
 * other exception, a hang or an allocation beyond the message limit is a finding. Messages go through the proxy's own
 * {@link ClientMessages}, as in a session. In the test suite it runs for a
 * bounded time (JAZZER_FUZZ=1, see the pom) on top of its seed inputs in {@code src/test/resources}.
 */
class PgParserFuzzTest {

    private static final int LIMIT = 64 * 1024;

    /**
     * Jazzer's hooks stay in the JVM after the fuzz test; its network sanitizer would take any later test class that
     * opens a socket (as the proxy's tests do) for a finding and end the test JVM. The parser never opens one.
     */
    @AfterAll
    static void networkForTheTestsThatFollow() {
        BugDetectors.allowNetworkConnections();
    }

    @FuzzTest(maxDuration = "20s")
    void clientBytesNeverBreakTheProxyOtherThanAsAProtocolError(FuzzedDataProvider data) {
        boolean readOnly = data.consumeBoolean();
        byte[] bytes = data.consumeRemainingAsBytes();
        PgFrontend frontend = new PgFrontend(new ByteArrayInputStream(bytes), LIMIT);
        QueryLog log = new QueryLog("fuzz", readOnly);
        ClientMessages messages = new ClientMessages(log, readOnly, "role@target");
        try {
            PgFrontend.First first = frontend.readFirst();
            if (first == null) {
                return;
            }
            if (first.code() == PgFrontend.PROTOCOL_3_0) {
                PgFrontend.startup(first.body());
            }
            for (int i = 0; i < 1000; i++) {
                PgMessage m = frontend.read();
                if (m == null) {
                    return;
                }
                try {
                    messages.inspect(m);
                } catch (ClientMessages.Refused refused) {
                    return; // the session would end here with this reason
                }
                // the server's side of the log, driven by the same bytes
                switch (i % 5) {
                    case 0 -> log.commandComplete("SELECT " + i);
                    case 1 -> log.error("42601", "syntax error");
                    case 2 -> log.readyForQuery();
                    case 3 -> log.emptyQuery();
                    default -> log.portalSuspended();
                }
            }
            log.unanswered("end");
        } catch (PgProtocolException | EOFException expected) {
            // the connection would be closed with this protocol error
        } catch (IOException e) {
            throw new AssertionError("only protocol errors may come out of the parser, not " + e, e);
        }
    }
}
