package dev.portcullis.broker.siem;

import dev.portcullis.local.LocalRsyslog;
import dev.portcullis.local.SiemHttpReceiver;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.Map;

/**
 * The SIEM sinks of the stream's tests and benchmark: Debian's rsyslog over TLS, and the test HTTP receiver standing in
 * for Splunk HEC and OpenSearch _bulk, with the broker configured to send to all three. One set per test JVM.
 */
public class SiemSinksEnvironment implements QuarkusTestResourceLifecycleManager {

    /** Made at run time; the receiver refuses any other. */
    static final String HEC_TOKEN = "hec-" + java.util.UUID.randomUUID();

    static LocalRsyslog rsyslog;
    static SiemHttpReceiver http;

    @Override
    public synchronized Map<String, String> start() {
        if (rsyslog == null) {
            rsyslog = LocalRsyslog.start("siem-stream");
            http = SiemHttpReceiver.start(HEC_TOKEN);
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> {
                                rsyslog.close();
                                http.close();
                            },
                            "siem-sinks-stop"));
        }
        Map<String, String> config = new HashMap<>();
        config.put("portcullis.siem.syslog.address", rsyslog.address());
        config.put("portcullis.siem.syslog.ca-file", rsyslog.caCertificate().toString());
        config.put("portcullis.siem.hec.url", http.hecUrl());
        config.put("portcullis.siem.hec.token", HEC_TOKEN);
        config.put("portcullis.siem.bulk.url", http.bulkUrl());
        if (!Boolean.getBoolean("siem.production-timing")) {
            // quick retries, so a test waits little after a sink is back (the benchmark keeps the defaults)
            config.put("portcullis.siem.poll-interval", "100ms");
            config.put("portcullis.siem.retry-max", "1s");
        }
        return config;
    }

    public static LocalRsyslog rsyslog() {
        return rsyslog;
    }

    public static SiemHttpReceiver http() {
        return http;
    }

    @Override
    public void stop() {
        // the sinks stop with the JVM; a restart of the broker for another profile finds them as they were
    }
}
