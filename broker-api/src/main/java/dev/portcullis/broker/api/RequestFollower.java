package dev.portcullis.broker.api;

import dev.portcullis.workflow.request.AccessRequest;
import dev.portcullis.workflow.request.RequestState;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Tells a follower of one request what is new: the view when the request's state or its reviews changed since the
 * last look, nothing otherwise. Settled once the request has left PENDING and that has been told.
 */
final class RequestFollower {

    private final Supplier<AccessRequest> current;
    private final Function<AccessRequest, Dtos.RequestView> view;
    private String seen;
    private long changes;
    private boolean settled;

    RequestFollower(Supplier<AccessRequest> current, Function<AccessRequest, Dtos.RequestView> view) {
        this.current = current;
        this.view = view;
    }

    synchronized Optional<Dtos.RequestView> changed() {
        if (settled) {
            return Optional.empty();
        }
        AccessRequest now = current.get();
        String fingerprint = now.state() + "/" + now.reviews().size();
        if (fingerprint.equals(seen)) {
            return Optional.empty();
        }
        seen = fingerprint;
        changes++;
        settled = now.state() != RequestState.PENDING;
        return Optional.of(view.apply(now));
    }

    synchronized boolean settled() {
        return settled;
    }

    synchronized long changes() {
        return changes;
    }
}
