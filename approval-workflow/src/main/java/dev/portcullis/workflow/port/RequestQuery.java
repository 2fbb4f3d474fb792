package dev.portcullis.workflow.port;

import dev.portcullis.workflow.request.RequestState;
import java.util.Set;

/**
 * Which requests to list. Null or empty fields do not filter.
 *
 * @param requester        only requests by this user
 * @param notRequester     never requests by this user
 * @param rules            only requests made under these policy rules
 * @param states           only requests in these states
 * @param target           only requests for this target
 * @param limit            at most this many, newest first
 */
public record RequestQuery(
        String requester, String notRequester, Set<String> rules, Set<RequestState> states, String target, int limit) {

    public RequestQuery {
        rules = rules == null ? null : Set.copyOf(rules);
        states = states == null ? Set.of() : Set.copyOf(states);
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be between 1 and 1000");
        }
    }
}
