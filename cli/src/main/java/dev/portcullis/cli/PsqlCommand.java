package dev.portcullis.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * Connects with the stock psql through the bastion's PostgreSQL proxy: a short-lived credential from the broker as the
 * password (in the environment, never on the command line), TLS with the proxy's certificate and name verified
 * against the CA the broker hands out ({@code sslmode=verify-full}).
 */
@Command(
        name = "psql",
        description = "Connect to a database target you hold a grant for, with the stock psql.",
        footer = {
            "",
            "Example:",
            "  portcullis psql prod-db --role app_readonly",
            "  portcullis psql prod-db --role app_readonly -- -c 'select count(*) from orders'"
        })
final class PsqlCommand implements Callable<Integer> {

    @ParentCommand
    Main main;

    @Parameters(index = "0", paramLabel = "TARGET", description = "the database target's name")
    String target;

    @Parameters(index = "1..*", paramLabel = "PSQL_ARGS", description = "passed to psql (after --)")
    List<String> psqlArgs = new ArrayList<>();

    @Option(
            names = {"-r", "--role"},
            required = true,
            description = "the database role your grant is for")
    String role;

    @Override
    public Integer call() {
        Broker broker = main.broker();
        Map<String, Object> credential = LoginCommands.asMap(broker.post(
                "/api/v1/db/credentials?target=" + URLEncoder.encode(target, StandardCharsets.UTF_8),
                Map.of("target", target),
                false));
        String ca = Json.str(credential, "caCertificate");
        if (ca == null) {
            throw new CliException(
                    ExitCodes.ERROR,
                    "the broker does not hand out the database proxy's CA, so psql could not verify "
                            + "the proxy; ask an operator to set PORTCULLIS_DB_PROXY_CA_FILE");
        }
        java.nio.file.Path caFile =
                main.dir.directory("db").resolve(target.replaceAll("[^A-Za-z0-9._-]", "_") + "-ca.pem");
        ConfigDir.writePrivate(caFile, ca);
        String conninfo = "host=" + quoted(Json.str(credential, "proxyHost")) + " port=" + credential.get("proxyPort")
                + " sslmode=verify-full sslrootcert=" + quoted(caFile.toString()) + " dbname=" + quoted(target)
                + " user=" + quoted(role);
        List<String> command = new ArrayList<>(List.of("psql", conninfo));
        command.addAll(psqlArgs);
        return Processes.handOver(command, Map.of("PGPASSWORD", Json.str(credential, "password")));
    }

    /** A libpq connection-string value, quoted when it needs to be. */
    static String quoted(String value) {
        if (value != null && value.matches("[A-Za-z0-9._/:+-]+")) {
            return value;
        }
        return "'" + (value == null ? "" : value.replace("\\", "\\\\").replace("'", "\\'")) + "'";
    }
}
