package dev.portcullis.workflow.request;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/** The result of applying an event: the request as it now is, or a refusal that leaves it unchanged. */
public sealed interface Transition {

    record Applied(
            AccessRequest before,
            AccessRequest after,
            String action,
            String actor,
            Instant at,
            Map<String, String> details)
            implements Transition {
        public Applied {
            Objects.requireNonNull(after, "after");
            Objects.requireNonNull(at, "at");
            details = Map.copyOf(details);
        }

        /** True when this transition changed the state (for example PENDING to ACTIVE), not only added a review. */
        public boolean stateChanged() {
            return before == null || before.state() != after.state();
        }
    }

    record Refused(Refusal refusal) implements Transition {
        public Refused {
            Objects.requireNonNull(refusal, "refusal");
        }
    }

    static Transition refused(Refusal refusal) {
        return new Refused(refusal);
    }
}
