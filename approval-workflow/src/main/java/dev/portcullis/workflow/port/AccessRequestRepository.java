package dev.portcullis.workflow.port;

import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.Transition;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * Where requests live. Rows are never deleted. Concurrency is this port's business alone: {@link #update}
 * re-reads and re-applies the change when someone else changed the request in between (optimistic
 * locking with a bounded retry), so the domain stays a set of pure functions.
 */
public interface AccessRequestRepository {

    /** Stores a newly created request and its audit event in one transaction. */
    void insert(Transition.Applied created);

    /**
     * The same, also keeping the directory id of the account that asked ({@code sub}), so that the grant stays bound to
     * that account and never passes to another account that is later given the same username.
     */
    default void insert(Transition.Applied created, String requesterId) {
        insert(created);
    }

    /**
     * The same, and {@code inSameTransaction} runs in the transaction that stores the request (the notifier's outbox rows),
     * so both are stored or neither is.
     */
    default void insert(Transition.Applied created, String requesterId, Runnable inSameTransaction) {
        insert(created, requesterId);
        inSameTransaction.run();
    }

    Optional<AccessRequest> find(UUID id);

    /** The name of the policy rule the request was made under, without loading the rest of it. */
    Optional<String> ruleOf(UUID id);

    /**
     * Loads the request, applies {@code change}, and when the result is {@link Transition.Applied} stores it
     * together with its audit event in one transaction; {@code change} runs inside that transaction, so whatever it records
     * through other ports in the same store is kept only with the change (it may run more than once). Returns a NOT_FOUND refusal for an unknown id, and a
     * CONFLICT refusal when concurrent changes kept winning after the bounded number of attempts.
     */
    Transition update(UUID id, Function<AccessRequest, Transition> change);

    /** At most {@link RequestQuery#limit()} requests, newest first: for people to read. */
    List<AccessRequest> list(RequestQuery query);

    /**
     * Every ACTIVE grant under these rules (every rule when null), with no limit: for the broker's own passes over
     * live grants (continuous verification, JIT groups), which must never miss one.
     */
    List<AccessRequest> active(java.util.Set<String> rules);
}
