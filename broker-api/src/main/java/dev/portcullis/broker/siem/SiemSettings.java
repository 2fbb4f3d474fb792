package dev.portcullis.broker.siem;

import jakarta.enterprise.context.ApplicationScoped;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The SIEM stream's settings (application.properties, or PORTCULLIS_SIEM_* in the environment; docs/siem.md). A sink is
 * on when its address or URL is set. A bad value is refused at start with one line naming the setting; secret values
 * (tokens, passwords, API keys) never appear in that line or in any log.
 */
@ApplicationScoped
public class SiemSettings {

    @ConfigProperty(name = "portcullis.siem.syslog.address")
    Optional<String> syslogAddress;

    @ConfigProperty(name = "portcullis.siem.syslog.server-name")
    Optional<String> syslogServerName;

    @ConfigProperty(name = "portcullis.siem.syslog.ca-file")
    Optional<Path> syslogCaFile;

    @ConfigProperty(name = "portcullis.siem.syslog.settle", defaultValue = "100ms")
    Duration syslogSettle;

    @ConfigProperty(name = "portcullis.siem.hec.url")
    Optional<String> hecUrl;

    @ConfigProperty(name = "portcullis.siem.hec.token")
    Optional<String> hecToken;

    @ConfigProperty(name = "portcullis.siem.hec.index")
    Optional<String> hecIndex;

    @ConfigProperty(name = "portcullis.siem.hec.ca-file")
    Optional<Path> hecCaFile;

    @ConfigProperty(name = "portcullis.siem.bulk.url")
    Optional<String> bulkUrl;

    @ConfigProperty(name = "portcullis.siem.bulk.index", defaultValue = "portcullis-audit")
    String bulkIndex;

    @ConfigProperty(name = "portcullis.siem.bulk.api-key")
    Optional<String> bulkApiKey;

    @ConfigProperty(name = "portcullis.siem.bulk.username")
    Optional<String> bulkUsername;

    @ConfigProperty(name = "portcullis.siem.bulk.password")
    Optional<String> bulkPassword;

    @ConfigProperty(name = "portcullis.siem.bulk.ca-file")
    Optional<Path> bulkCaFile;

    @ConfigProperty(name = "portcullis.siem.batch-size", defaultValue = "500")
    int batchSize;

    @ConfigProperty(name = "portcullis.siem.poll-interval", defaultValue = "200ms")
    Duration pollInterval;

    @ConfigProperty(name = "portcullis.siem.timeout", defaultValue = "10s")
    Duration timeout;

    @ConfigProperty(name = "portcullis.siem.retry-max", defaultValue = "30s")
    Duration retryMax;

    @ConfigProperty(name = "portcullis.audit.instance-name")
    String instanceName;

    /** The names of the sinks that are switched on, without building them (for the metrics). */
    public List<String> sinkNames() {
        List<String> names = new ArrayList<>();
        if (set(syslogAddress)) {
            names.add("syslog");
        }
        if (set(hecUrl)) {
            names.add("hec");
        }
        if (set(bulkUrl)) {
            names.add("bulk");
        }
        return names;
    }

    /** @throws IllegalArgumentException one line naming the bad setting */
    public List<SiemSink> sinks() {
        positive(pollInterval, "portcullis.siem.poll-interval");
        positive(timeout, "portcullis.siem.timeout");
        positive(retryMax, "portcullis.siem.retry-max");
        positive(syslogSettle, "portcullis.siem.syslog.settle");
        if (batchSize < 1 || batchSize > 10_000) {
            throw new IllegalArgumentException(
                    "portcullis.siem.batch-size is " + batchSize + "; it must be 1 to 10000");
        }
        List<SiemSink> sinks = new ArrayList<>();
        if (set(syslogAddress)) {
            sinks.add(syslog());
        }
        if (set(hecUrl)) {
            URI url = url(hecUrl.get(), "portcullis.siem.hec.url", "/services/collector/event");
            String token = hecToken.filter(t -> !t.isBlank())
                    .orElseThrow(() -> new IllegalArgumentException(
                            "portcullis.siem.hec.url is set but portcullis.siem.hec.token is not"));
            if (!token.matches("[\\x21-\\x7e]+")) {
                throw new IllegalArgumentException(
                        "portcullis.siem.hec.token holds spaces or characters outside ASCII");
            }
            sinks.add(new SplunkHecSink(
                    url,
                    token,
                    hecIndex.filter(i -> !i.isBlank()).orElse(null),
                    instanceName,
                    SinkTls.context(hecCaFile, "portcullis.siem.hec.ca-file"),
                    timeout));
        }
        if (set(bulkUrl)) {
            URI url = url(bulkUrl.get(), "portcullis.siem.bulk.url", "/_bulk");
            if (!bulkIndex.matches("[a-z0-9][a-z0-9._-]{0,254}")) {
                throw new IllegalArgumentException("portcullis.siem.bulk.index is '" + bulkIndex
                        + "'; an index name is lower case letters, digits and ._-");
            }
            sinks.add(new OpenSearchBulkSink(
                    url,
                    bulkAuthorization(),
                    bulkIndex,
                    SinkTls.context(bulkCaFile, "portcullis.siem.bulk.ca-file"),
                    timeout));
        }
        return sinks;
    }

    private SiemSink syslog() {
        String address = syslogAddress.get().trim();
        int colon = address.lastIndexOf(':');
        String host = colon > 0 ? address.substring(0, colon) : "";
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (host.isBlank() || port < 1 || port > 65535) {
            throw new IllegalArgumentException("portcullis.siem.syslog.address is '" + address
                    + "'; it must be host:port (TLS, RFC 5425; 6514 is the usual port)");
        }
        String serverName = syslogServerName.filter(s -> !s.isBlank()).orElse(host);
        return new SyslogTlsSink(
                host,
                port,
                serverName,
                SinkTls.context(syslogCaFile, "portcullis.siem.syslog.ca-file"),
                instanceName,
                timeout,
                syslogSettle);
    }

    private String bulkAuthorization() {
        if (set(bulkApiKey)) {
            if (set(bulkUsername)) {
                throw new IllegalArgumentException(
                        "set portcullis.siem.bulk.api-key or portcullis.siem.bulk.username, not both");
            }
            return "ApiKey " + bulkApiKey.get().trim();
        }
        if (set(bulkUsername)) {
            String password = bulkPassword.orElseThrow(() -> new IllegalArgumentException(
                    "portcullis.siem.bulk.username is set but portcullis.siem.bulk.password is not"));
            return "Basic "
                    + Base64.getEncoder()
                            .encodeToString((bulkUsername.get() + ":" + password).getBytes(StandardCharsets.UTF_8));
        }
        return null;
    }

    /** https anywhere; plain http only to a loopback address, where no token crosses a network. */
    private static URI url(String value, String setting, String pathEnd) {
        URI url;
        try {
            url = new URI(value.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(setting + " is not a URL: " + e.getReason());
        }
        if (url.getHost() == null
                || url.getUserInfo() != null
                || url.getPath() == null
                || !url.getPath().endsWith(pathEnd)) {
            throw new IllegalArgumentException(
                    setting + " must be an https URL ending in " + pathEnd + " (credentials go in their own settings)");
        }
        if ("https".equals(url.getScheme())) {
            return url;
        }
        if ("http".equals(url.getScheme()) && loopback(url.getHost())) {
            return url;
        }
        throw new IllegalArgumentException(setting + " must be https (plain http only to a loopback address): "
                + url.getScheme() + "://" + url.getHost());
    }

    private static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static void positive(Duration value, String setting) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(setting + " is " + value + "; it must be more than 0");
        }
    }

    private static boolean set(Optional<String> value) {
        return value.isPresent() && !value.get().isBlank();
    }

    int batchSize() {
        return batchSize;
    }

    Duration pollInterval() {
        return pollInterval;
    }

    Duration retryMax() {
        return retryMax;
    }
}
