package dev.portcullis.cli;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * Connects with the stock ssh through the bastion: a certificate from the broker (renewed when due), the host CA's
 * {@code @cert-authority} line, a Host block per SSH grant in a file of its own, then ssh. Once ~/.ssh/config
 * includes that file (asked once), plain {@code ssh TARGET} works as well.
 */
@Command(
        name = "ssh",
        description = "Connect to a target you hold a grant for, with the stock ssh, through the bastion.",
        footer = {
            "",
            "Example:",
            "  portcullis ssh prod-web-1",
            "  portcullis ssh prod-web-1 -- -t 'sudo journalctl -f'"
        })
final class SshCommand implements Callable<Integer> {

    @ParentCommand
    Main main;

    @Parameters(index = "0", paramLabel = "TARGET", description = "the target's name")
    String target;

    @Parameters(index = "1..*", paramLabel = "SSH_ARGS", description = "passed to ssh after the target (after --)")
    List<String> sshArgs = new ArrayList<>();

    @Option(
            names = {"-l", "--login"},
            description = "the login, when you hold grants for several on this target")
    String login;

    @Option(
            names = "--ssh-config",
            paramLabel = "ask|yes|no",
            defaultValue = "ask",
            description = "add an Include of portcullis' Host blocks to ~/.ssh/config: ask (once), yes, or no")
    String sshConfig;

    @Override
    public Integer call() {
        if (!List.of("ask", "yes", "no").contains(sshConfig)) {
            throw new IllegalArgumentException("--ssh-config is ask, yes or no");
        }
        Broker broker = main.broker();
        SignIn signIn = broker.signIn();
        List<SshFiles.Grant> grants = sshGrants(broker);
        List<SshFiles.Grant> here = grants.stream()
                .filter(g ->
                        g.target().equals(target) && (login == null || g.login().equals(login)))
                .toList();
        if (here.isEmpty()) {
            throw new CliException(
                    ExitCodes.ERROR,
                    "you hold no active SSH grant for " + target + (login == null ? "" : " as " + login)
                            + ": portcullis request " + target + " --login LOGIN --for 1h --reason \"...\" --wait");
        }
        if (here.size() > 1) {
            throw new IllegalArgumentException(
                    "you hold grants for several logins on " + target + "; say which with --login");
        }
        SshFiles files = new SshFiles(main.dir);
        files.ensureKey();
        if (files.certificateDue(Instant.now())) {
            Map<String, Object> issued = LoginCommands.asMap(
                    broker.post("/api/v1/ssh/certificates", Map.of("publicKey", files.publicKey()), false));
            files.storeCertificate(issued);
        }
        files.storeKnownHosts(Json.str(LoginCommands.asMap(broker.get("/api/v1/ssh/ca")), "knownHostsLine"));
        String host = signIn.get("bastionHost");
        long port = signIn.number("bastionSshPort");
        if (host == null || port == 0) {
            throw new CliException(
                    ExitCodes.SIGN_IN, "the sign-in does not say where the bastion is: run portcullis login again");
        }
        // the one asked for first, so a duplicate name elsewhere in the list cannot shadow it
        List<SshFiles.Grant> blocks = new ArrayList<>(here);
        grants.stream().filter(g -> !g.target().equals(target)).forEach(blocks::add);
        files.storeConfig(host, (int) port, blocks);

        Path userConfig = ConfigDir.home(main.env).resolve(".ssh").resolve("config");
        boolean included = files.included(userConfig) || consentToInclude(files, userConfig, signIn);
        List<String> command = new ArrayList<>(List.of("ssh"));
        if (!included) {
            command.addAll(List.of("-F", files.config.toString()));
        } else if (!userConfig.getParent().getParent().equals(Path.of(System.getProperty("user.home")))) {
            // ssh reads the config of the account's home, not $HOME's: name the one that includes ours when they differ
            command.addAll(List.of("-F", userConfig.toString()));
        }
        command.add(target);
        command.addAll(sshArgs);
        return Processes.handOver(command, Map.of());
    }

    private boolean consentToInclude(SshFiles files, Path userConfig, SignIn signIn) {
        String remembered = signIn.get("sshConfigInclude");
        boolean yes = switch (sshConfig) {
            case "yes" -> true;
            case "no" -> false;
            default ->
                !"no".equals(remembered)
                        && main.confirm("Add '" + files.includeLine() + "' to " + userConfig + " so that plain 'ssh "
                                + target + "' works too?");
        };
        if (!yes && "ask".equals(sshConfig) && main.confirmAsked()) {
            signIn.put("sshConfigInclude", "no").save(main.dir); // asked once: not again
        }
        if (yes) {
            files.include(userConfig);
            main.err.println("Added " + files.includeLine() + " to " + userConfig + ".");
        }
        return yes;
    }

    /** The SSH grants the user holds now: (target, login) of each ACTIVE request for an ssh target. */
    static List<SshFiles.Grant> sshGrants(Broker broker) {
        Map<String, SshFiles.Grant> out = new LinkedHashMap<>();
        for (Map<String, Object> r : Json.objects(broker.get("/api/v1/requests?scope=mine&state=ACTIVE"))) {
            if ("ssh".equals(Json.str(r, "kind"))) {
                SshFiles.Grant g = new SshFiles.Grant(Json.str(r, "target"), Json.str(r, "login"));
                out.putIfAbsent(g.target() + "\n" + g.login(), g);
            }
        }
        return new ArrayList<>(out.values());
    }
}
