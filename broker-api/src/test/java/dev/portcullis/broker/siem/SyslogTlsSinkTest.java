package dev.portcullis.broker.siem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.local.LocalRsyslog;
import dev.portcullis.local.ThrowawayCa;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The syslog sink against Debian's rsyslog over TLS on loopback: framing, trust, and a receiver that goes away. */
class SyslogTlsSinkTest {

    private static LocalRsyslog rsyslog;
    private static Path otherCa;
    private static long seq;

    @BeforeAll
    static void start() throws IOException {
        rsyslog = LocalRsyslog.start("syslog-sink-test");
        otherCa = ThrowawayCa.create(Files.createTempDirectory("portcullis-other-ca-"), "impostor")
                .caCertificate();
    }

    @AfterAll
    static void stop() {
        rsyslog.close();
    }

    private static SyslogTlsSink sink(Path ca, String serverName) {
        return new SyslogTlsSink(
                "127.0.0.1",
                rsyslog.port(),
                serverName,
                SinkTls.context(Optional.of(ca), "ca-file"),
                "broker-test",
                Duration.ofSeconds(5),
                Duration.ofMillis(100));
    }

    private static synchronized List<AuditRow> rows(int n) {
        List<AuditRow> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            seq++;
            rows.add(new AuditRow(
                    seq,
                    Instant.now(),
                    "alice",
                    "request.created",
                    "access_request",
                    "id-" + seq,
                    "{\"reason\":\"d\u00e9j\u00e0 \\\"quoted\\\" ] line\\nbreak\"}",
                    "a".repeat(64),
                    "b".repeat(64)));
        }
        return rows;
    }

    private static List<Long> seqsReceived() {
        List<Long> seqs = new ArrayList<>();
        for (String line : rsyslog.received()) {
            int at = line.indexOf(" seq=\"");
            seqs.add(Long.parseLong(line.substring(at + 6, line.indexOf('"', at + 6))));
        }
        return seqs;
    }

    private static void awaitReceived(long upTo) throws InterruptedException {
        for (int i = 0; i < 200 && !seqsReceived().contains(upTo); i++) {
            Thread.sleep(50);
        }
    }

    @Test
    void rowsArriveOctetCountedWithSeqHashAndTheRowAsJson() throws Exception {
        try (SyslogTlsSink sink = sink(rsyslog.caCertificate(), "127.0.0.1")) {
            List<AuditRow> batch = rows(3);
            sink.deliver(batch);
            awaitReceived(batch.get(2).seq());
        }
        List<String> lines = rsyslog.received();
        String last = lines.get(lines.size() - 1);
        assertThat(last)
                .contains("[portcullis@32473 seq=\"" + seq + "\" prevHash=\"" + "a".repeat(64) + "\" hash=\""
                        + "b".repeat(64) + "\"]")
                .contains(
                        "\"action\":\"request.created\"",
                        "\"seq\":" + seq,
                        "d\\u00E9j\\u00E0 \\\"quoted\\\" ] line\\nbreak");
        assertThat(seqsReceived()).containsSubsequence(seq - 2, seq - 1, seq);
    }

    /** Attacker: a receiver (or someone in the path) with a certificate from another CA gets nothing, not even in clear. */
    @Test
    void aReceiverWhoseCertificateTheCaDidNotSignIsRefusedAndGetsNothing() throws Exception {
        int before = rsyslog.received().size();
        try (SyslogTlsSink sink = sink(otherCa, "127.0.0.1")) {
            assertThatThrownBy(() -> sink.deliver(rows(2))).isInstanceOf(SSLHandshakeException.class);
        }
        Thread.sleep(500);
        assertThat(rsyslog.received()).hasSize(before);
        assertThat(Files.readString(rsyslog.logFile())).doesNotContain("request.created");
    }

    /** Attacker: a certificate of the right CA for another name (here the sink expects a name the certificate lacks). */
    @Test
    void aCertificateForAnotherNameIsRefused() throws Exception {
        int before = rsyslog.received().size();
        try (SyslogTlsSink sink = sink(rsyslog.caCertificate(), "siem.example.com")) {
            assertThatThrownBy(() -> sink.deliver(rows(1))).isInstanceOf(SSLHandshakeException.class);
        }
        Thread.sleep(500);
        assertThat(rsyslog.received()).hasSize(before);
    }

    /** rsyslog stopped between two batches: the next batch fails (it is not taken for delivered) and goes out later. */
    @Test
    void aReceiverThatWentAwayFailsTheBatchWhichArrivesWhenItIsBack() throws Exception {
        try (SyslogTlsSink sink = sink(rsyslog.caCertificate(), "127.0.0.1")) {
            List<AuditRow> first = rows(1);
            sink.deliver(first);
            awaitReceived(first.get(0).seq());
            rsyslog.stop();
            List<AuditRow> second = rows(5);
            assertThatThrownBy(() -> sink.deliver(second)).isInstanceOf(IOException.class);
            rsyslog.start();
            sink.deliver(second);
            awaitReceived(second.get(4).seq());
            assertThat(seqsReceived())
                    .containsSubsequence(second.stream().map(AuditRow::seq).toList());
        } finally {
            rsyslog.start();
        }
    }
}
