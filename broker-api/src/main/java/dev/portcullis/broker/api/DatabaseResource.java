package dev.portcullis.broker.api;

import dev.portcullis.broker.db.DatabaseCredentialIssuer;
import dev.portcullis.broker.identity.Caller;
import dev.portcullis.broker.identity.KeycloakDirectory;
import dev.portcullis.workflow.policy.Target;
import dev.portcullis.workflow.policy.TargetKind;
import dev.portcullis.workflow.port.PolicySource;
import dev.portcullis.workflow.request.Actor;
import dev.portcullis.workflow.request.Refusal;
import io.quarkus.security.Authenticated;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Database credentials: what people send as their PostgreSQL password to the bastion's database proxy, each for one
 * target, with a connection string that verifies the proxy's certificate ({@code sslmode=verify-full}) against the
 * proxy's CA, which is handed out with it.
 */
@Path("/api/v1/db")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Databases")
public class DatabaseResource {

    @Inject
    DatabaseCredentialIssuer issuer;

    @Inject
    Caller caller;

    @Inject
    KeycloakDirectory directory;

    @ConfigProperty(name = "portcullis.db.proxy-host", defaultValue = "127.0.0.1")
    String proxyHost;

    @ConfigProperty(name = "portcullis.db.proxy-port", defaultValue = "6432")
    int proxyPort;

    /** The PEM file of the CA that signed the proxy's TLS certificate (its self-signed db-tls.crt will do). */
    @ConfigProperty(name = "portcullis.db.proxy-ca-file")
    Optional<String> proxyCaFile;

    @Inject
    PolicySource policies;

    @Inject
    com.fasterxml.jackson.databind.ObjectMapper json;

    /** The file name the connection string expects the proxy's CA in. */
    public static final String SSL_ROOT_CERT = "portcullis-db-ca.pem";

    @POST
    @Path("/credentials")
    @Consumes(MediaType.WILDCARD)
    @Operation(
            summary = "A short-lived credential for one database target, to send as your PostgreSQL password to the "
                    + "database proxy; shown once")
    public Response issue(String body, @QueryParam("target") String targetParam) {
        if (caller.isServiceAccount()) {
            throw new RefusedException(Refusal.forbidden(
                    "not_a_person", "database credentials are for people; a service client cannot get one"));
        }
        Actor person = directory.lookup(caller.username()).orElse(null);
        if (person == null || !person.enabled()) {
            throw new RefusedException(Refusal.forbidden(
                    "account_disabled", "your account is disabled or gone; no credential was issued"));
        }
        if (person.id() != null && !person.id().equals(caller.subject())) {
            // The name now belongs to another account than the token's: a credential is for the account holding it.
            throw new RefusedException(Refusal.forbidden(
                    "account_mismatch",
                    "your token's account no longer holds the name " + caller.username()
                            + "; no credential was issued"));
        }
        String name = Input.required(targetParam != null ? targetParam : targetOf(body), "target");
        Target target = policies.current()
                .target(name)
                .filter(t -> t.kind() == TargetKind.POSTGRES)
                .orElseThrow(() -> new RefusedException(Refusal.invalid(
                        "unknown_target",
                        "target",
                        "there is no database target named '" + Input.limited(name, "target", 200) + "'")));
        DatabaseCredentialIssuer.Issued issued = issuer.issue(person.username(), caller.subject(), target.name());
        return Response.status(201)
                .entity(new Dtos.DatabaseCredential(
                        issued.username(),
                        issued.target(),
                        issued.credential(),
                        issued.expiresAt(),
                        proxyHost,
                        proxyPort,
                        connect(proxyHost, proxyPort, target.name(), "ROLE"),
                        SSL_ROOT_CERT,
                        caCertificate()))
                .build();
    }

    /** The target named in a JSON body ({"target": "prod-db"}); the body is optional, so plain curl -X POST works. */
    private String targetOf(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            com.fasterxml.jackson.databind.JsonNode target = json.readTree(body).get("target");
            return target == null || !target.isTextual() ? null : target.asText();
        } catch (java.io.IOException e) {
            throw new RefusedException(Refusal.invalid(
                    "malformed_body", "target", "the body must be JSON like {\"target\": \"prod-db\"}"));
        }
    }

    /** The proxy's CA as PEM, to save as {@value #SSL_ROOT_CERT}; 404 when the broker is not told it. */
    @GET
    @Path("/ca")
    @Produces("application/x-pem-file")
    @Operation(summary = "The CA certificate (PEM) the database proxy's TLS certificate verifies against")
    public String ca() {
        String pem = caCertificate();
        if (pem == null) {
            throw new RefusedException(Refusal.notFound(
                    "no_proxy_ca",
                    "the broker is not told the database proxy's CA"
                            + " (portcullis.db.proxy-ca-file); ask an operator for it"));
        }
        return pem;
    }

    /** The libpq connection string for the proxy: the server's certificate and name are verified. */
    public static String connect(String host, int port, String target, String role) {
        return "host=" + host + " port=" + port + " sslmode=verify-full sslrootcert=" + SSL_ROOT_CERT
                + " dbname=" + target
                + " user=" + role;
    }

    private String caCertificate() {
        if (proxyCaFile.isEmpty() || proxyCaFile.get().isBlank()) {
            return null;
        }
        try {
            return Files.readString(java.nio.file.Path.of(proxyCaFile.get()), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            org.jboss.logging.Logger.getLogger(DatabaseResource.class)
                    .warnf("cannot read portcullis.db.proxy-ca-file %s: %s", proxyCaFile.get(), e.getMessage());
            return null;
        }
    }
}
