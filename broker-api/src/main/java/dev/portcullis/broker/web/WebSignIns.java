package dev.portcullis.broker.web;

import dev.portcullis.broker.identity.Caller;
import dev.portcullis.broker.identity.PersonTokens;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * A web sign-in is a person's session as much as a bearer token is: its ID token's {@code sub} must still be the
 * account that holds its username, and its client one of {@code portcullis.person-clients}, checked on every page
 * exactly as {@link PersonTokens} checks {@code /api/v1}. A session that outlives its account (deleted, or its name
 * given to another) gets a page that says so instead of the new account's or the old one's view.
 */
public class WebSignIns {

    @Inject
    SecurityIdentity identity;

    @Inject
    PersonTokens personTokens;

    @Inject
    ErrorPages errorPages;

    @Inject
    Caller caller;

    @ServerRequestFilter
    public Response refuseStaleSignIns(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!(path.equals("/ui") || path.startsWith("/ui/")) || identity.isAnonymous()) {
            return null; // /ui itself demands a sign-in (quarkus.http.auth.permission.web-ui)
        }
        return personTokens
                .refusal(path)
                .map(refusal -> errorPages.error(refusal, caller))
                .orElse(null);
    }
}
