package dev.portcullis.broker.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.portcullis.broker.ssh.SshRequestRefused;
import dev.portcullis.workflow.port.GrantAuthority;
import dev.portcullis.workflow.port.IdentityDirectory;
import dev.portcullis.workflow.request.Refusal;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The one place where refusals and failures become HTTP responses: problem+json with a message a person
 * can act on, never a stack trace.
 */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    public static Response of(Refusal refusal) {
        int status = switch (refusal.kind()) {
            case INVALID -> 422;
            case FORBIDDEN -> 403;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
        };
        String title = switch (refusal.kind()) {
            case INVALID -> "Invalid request";
            case FORBIDDEN -> "Forbidden";
            case NOT_FOUND -> "Not found";
            case CONFLICT -> "Conflict";
        };
        return problem(Problem.of(status, title, refusal.code(), refusal.message(), refusal.field()));
    }

    public static Response problem(Problem problem) {
        return Response.status(problem.status())
                .type(Problem.MEDIA_TYPE)
                .entity(problem)
                .build();
    }

    @ServerExceptionMapper
    public Response refused(RefusedException e) {
        return of(e.refusal());
    }

    @ServerExceptionMapper
    public Response sshRefused(SshRequestRefused e) {
        return of(e.refusal());
    }

    @ServerExceptionMapper
    public Response authorityDown(GrantAuthority.AuthorityUnavailableException e) {
        LOG.error("grant authority unavailable", e);
        return problem(Problem.of(
                503,
                "Service unavailable",
                "authority_unavailable",
                "the broker cannot decide about grants right now; nothing is allowed, try again shortly",
                null));
    }

    @ServerExceptionMapper
    public Response unknownField(UnrecognizedPropertyException e) {
        return problem(Problem.of(
                400,
                "Bad request",
                "unknown_field",
                "unknown field '" + e.getPropertyName() + "'; known fields: " + e.getKnownPropertyIds(),
                e.getPropertyName()));
    }

    @ServerExceptionMapper
    public Response wrongShape(MismatchedInputException e) {
        if (e instanceof UnrecognizedPropertyException unknown) {
            return unknownField(unknown);
        }
        String field = e.getPath().isEmpty()
                ? null
                : e.getPath().get(e.getPath().size() - 1).getFieldName();
        return problem(Problem.of(
                400,
                "Bad request",
                "malformed_body",
                field == null
                        ? "the request body does not have the shape this endpoint expects (a JSON object)"
                        : "field '" + field + "' has the wrong type",
                field));
    }

    @ServerExceptionMapper
    public Response badJson(JsonProcessingException e) {
        String where = e.getLocation() == null
                ? ""
                : " at line " + e.getLocation().getLineNr() + ", column "
                        + e.getLocation().getColumnNr();
        return problem(Problem.of(
                400,
                "Bad request",
                "malformed_body",
                "the request body is not the JSON this endpoint expects" + where,
                null));
    }

    @ServerExceptionMapper
    public Response unauthenticated(UnauthorizedException e) {
        return unauthenticated();
    }

    @ServerExceptionMapper
    public Response unauthenticated(AuthenticationFailedException e) {
        return unauthenticated();
    }

    private static Response unauthenticated() {
        return Response.fromResponse(problem(Problem.of(
                        401,
                        "Unauthorized",
                        "unauthenticated",
                        "sign in with Keycloak and send the access token as 'Authorization: Bearer <token>'",
                        null)))
                .header("WWW-Authenticate", "Bearer")
                .build();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return problem(Problem.of(
                403,
                "Forbidden",
                "missing_group",
                e.getMessage() != null && !e.getMessage().isBlank() ? e.getMessage() : "your groups do not allow this",
                null));
    }

    @ServerExceptionMapper
    public Response directoryDown(IdentityDirectory.DirectoryUnavailableException e) {
        LOG.error("identity directory unavailable", e);
        return problem(Problem.of(
                503,
                "Service unavailable",
                "directory_unavailable",
                "the identity provider cannot be reached to check your groups right now; nothing was changed, try again shortly",
                null));
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException e) {
        return problem(Problem.of(404, "Not found", "not_found", "there is nothing at this address", null));
    }

    @ServerExceptionMapper
    public Response notAllowed(NotAllowedException e) {
        return Response.fromResponse(problem(Problem.of(
                        405,
                        "Method not allowed",
                        "method_not_allowed",
                        "this address does not take that method",
                        null)))
                .allow(e.getResponse().getAllowedMethods())
                .build();
    }

    @ServerExceptionMapper
    public Response unsupported(NotSupportedException e) {
        return problem(Problem.of(
                415, "Unsupported media type", "unsupported_media_type", "send the body as application/json", null));
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof MismatchedInputException mismatch) {
                return wrongShape(mismatch);
            }
            if (cause instanceof JsonProcessingException json) {
                return badJson(json);
            }
        }
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            LOG.error("request failed", e);
            return internal();
        }
        return problem(Problem.of(
                status,
                e.getResponse().getStatusInfo().getReasonPhrase(),
                "http_" + status,
                e.getMessage() == null ? "the request cannot be served" : e.getMessage(),
                null));
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        LOG.error("unexpected failure", e);
        return internal();
    }

    private static Response internal() {
        return problem(Problem.of(
                500,
                "Internal error",
                "internal_error",
                "the broker failed to handle this request; nothing was granted. The failure is in the broker's log.",
                null));
    }
}
