package dev.portcullis.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** Signing in and out. */
final class LoginCommands {

    private LoginCommands() {}

    @Command(
            name = "login",
            description = "Sign in at your organisation's Keycloak (device code: a URL and a code to confirm).",
            footer = {"", "Example:", "  portcullis login --broker https://portcullis.example.com"})
    static final class Login implements Callable<Integer> {

        @ParentCommand
        Main main;

        @Option(names = "--broker", description = "the broker's URL (default: the last one, or $PORTCULLIS_URL)")
        String broker;

        @Option(names = "--no-browser", description = "only print the URL, never open a browser")
        boolean noBrowser;

        @Override
        public Integer call() {
            SignIn signIn = SignIn.load(main.dir);
            String url = broker != null
                    ? broker
                    : signIn.get("broker") != null ? signIn.get("broker") : main.env.get("PORTCULLIS_URL");
            if (url == null || url.isBlank()) {
                throw new IllegalArgumentException(
                        "which broker? portcullis login --broker https://portcullis.example.com");
            }
            Map<String, Object> settings = Broker.clientSettings(url);
            String issuer = Json.str(settings, "issuer");
            String clientId = Json.str(settings, "clientId");
            Oidc oidc = new Oidc(issuer, clientId);
            Oidc.DeviceCode code = oidc.startDeviceSignIn();
            Oidc.tell(code, main.out, !noBrowser);
            Map<String, Object> tokens = oidc.awaitDeviceTokens(code);
            signIn.put("broker", url)
                    .put("issuer", issuer)
                    .put("clientId", clientId)
                    .put("bastionHost", Json.str(settings, "bastionHost"))
                    .put("bastionSshPort", settings.get("bastionSshPort"));
            Oidc.store(signIn, tokens);
            signIn.save(main.dir);
            Map<String, Object> me = asMap(main.broker().get("/api/v1/me"));
            main.out.println("Signed in to " + url + " as " + Json.str(me, "username") + " " + me.get("groups") + ".");
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "logout",
            description = "End the sign-in at Keycloak and forget the tokens.",
            footer = {"", "Example:", "  portcullis logout"})
    static final class Logout implements Callable<Integer> {

        @ParentCommand
        Main main;

        @Override
        public Integer call() {
            SignIn signIn = SignIn.load(main.dir);
            if (!signIn.present()) {
                main.out.println("Not signed in.");
                return ExitCodes.OK;
            }
            boolean ended = false;
            String refresh = signIn.get("refreshToken");
            if (refresh != null && signIn.get("issuer") != null) {
                try {
                    ended = new Oidc(signIn.get("issuer"), signIn.get("clientId")).endSession(refresh);
                } catch (CliException e) {
                    main.err.println("portcullis: " + e.getMessage() + "; forgetting the tokens anyway");
                }
            }
            signIn.put("accessToken", null)
                    .put("refreshToken", null)
                    .put("accessExpiresAt", null)
                    .put("refreshExpiresAt", null);
            signIn.save(main.dir);
            main.out.println(ended ? "Signed out." : "Forgot the tokens (Keycloak did not confirm the session ended).");
            return ExitCodes.OK;
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object value) {
        if (value instanceof Map) {
            return (Map<String, Object>) value;
        }
        throw new CliException(ExitCodes.ERROR, "the broker's answer is not what was expected");
    }
}
