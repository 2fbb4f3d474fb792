package dev.portcullis.bastion.health;

import dev.portcullis.workflow.port.GrantAuthority;

/** Counts the refusals of a {@link GrantAuthority} by reason; answers exactly as the authority does. */
public record MeteredGrantAuthority(GrantAuthority authority, BastionMetrics metrics) implements GrantAuthority {

    @Override
    public Decision authorize(Ask ask) {
        String protocol = ask.use() == Use.DATABASE ? "postgres" : "ssh";
        Decision decision;
        try {
            decision = authority.authorize(ask);
        } catch (AuthorityUnavailableException e) {
            metrics.sessionRefused(protocol, "authority_unavailable");
            throw e;
        }
        if (decision instanceof Refused refused) {
            metrics.sessionRefused(protocol, refused.code());
        }
        return decision;
    }
}
