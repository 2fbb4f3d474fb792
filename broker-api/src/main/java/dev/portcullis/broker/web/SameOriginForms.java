package dev.portcullis.broker.web;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.Locale;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The pages' forms change things (approve, deny, release, revoke) with the session cookie. The cookie is
 * SameSite=Lax, so browsers do not send it with another site's form; this is the second lock: a form post to
 * {@code /ui} whose Origin (every current browser sends one with a POST) names another site is refused.
 */
public class SameOriginForms {

    @ServerRequestFilter(preMatching = true)
    public Response refuseCrossSiteForms(ContainerRequestContext request) {
        if (!"POST".equals(request.getMethod())
                || !request.getUriInfo().getPath().startsWith("/ui")) {
            return null;
        }
        String origin = request.getHeaderString("Origin");
        if (origin == null || origin.isBlank()) {
            return null; // not a browser, or an old one: SameSite still applies
        }
        String host = request.getHeaderString("X-Forwarded-Host");
        if (host == null || host.isBlank()) {
            // the address the browser used: the Host header (HTTP/1.1) or :authority (HTTP/2)
            host = request.getUriInfo().getRequestUri().getRawAuthority();
        }
        if (host != null && authorityOf(origin).equals(host.strip().toLowerCase(Locale.ROOT))) {
            return null;
        }
        return Response.status(403)
                .type(MediaType.TEXT_PLAIN_TYPE.withCharset("UTF-8"))
                .entity("Refused: this form was sent from another site (" + origin + "). Use Portcullis's own pages.")
                .build();
    }

    private static String authorityOf(String origin) {
        try {
            String authority = URI.create(origin.strip()).getRawAuthority();
            return authority == null ? "" : authority.toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return "";
        }
    }
}
