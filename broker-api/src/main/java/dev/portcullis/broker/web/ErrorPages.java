package dev.portcullis.broker.web;

import dev.portcullis.broker.identity.Caller;
import dev.portcullis.workflow.port.IdentityDirectory;
import dev.portcullis.workflow.request.Refusal;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;

/** Refusals and failures as error pages, with the status each one means. */
@ApplicationScoped
public class ErrorPages {

    private static final Logger LOG = Logger.getLogger(ErrorPages.class);

    @Inject
    Viewers viewers;

    @Inject
    @Location("web/error.html")
    Template errorPage;

    Response error(Refusal refusal, Caller caller) {
        int status = switch (refusal.kind()) {
            case INVALID -> 422;
            case FORBIDDEN -> 403;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
        };
        String title = switch (refusal.kind()) {
            case INVALID -> "That cannot be done as asked";
            case FORBIDDEN -> "Not allowed";
            case NOT_FOUND -> "Not found";
            case CONFLICT -> "That cannot be done now";
        };
        return page(status, title, refusal.message(), caller);
    }

    Response page(int status, String title, String message, Caller caller) {
        Views.Me me = null;
        try {
            me = viewers.me(caller);
        } catch (RuntimeException e) {
            // not signed in, or the identity is unusable: the error page still shows, without the navigation
        }
        String html = errorPage
                .data("me", me)
                .data("nav", "")
                .data("status", status)
                .data("title", title)
                .data("message", message)
                .render();
        return Response.status(status)
                .type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8"))
                .entity(html)
                .build();
    }

    Response unexpected(Throwable e, Caller caller) {
        if (e instanceof RefusedPage refused) {
            return error(refused.refusal(), caller);
        }
        if (e instanceof dev.portcullis.broker.api.RefusedException refused) {
            return error(refused.refusal(), caller);
        }
        if (e instanceof IdentityDirectory.DirectoryUnavailableException) {
            return page(
                    503,
                    "Keycloak cannot be reached",
                    "The broker cannot check groups in Keycloak right now, so nothing was changed. "
                            + "Try again shortly.",
                    caller);
        }
        if (e instanceof jakarta.ws.rs.WebApplicationException web
                && web.getResponse().getStatus() < 500) {
            int status = web.getResponse().getStatus();
            return page(
                    status,
                    status == 404
                            ? "Not found"
                            : web.getResponse().getStatusInfo().getReasonPhrase(),
                    status == 404 ? "There is no page at this address." : "The request cannot be served.",
                    caller);
        }
        LOG.error("web page failed", e);
        return page(
                500,
                "Something went wrong",
                "The broker failed to show this page; nothing was granted. The failure is in the broker's log.",
                caller);
    }
}
