package io.vigil.events;

import java.util.Objects;

/**
 * The outcome of validating one raw record: either the typed value or the reason it was rejected.
 *
 * @param <T> the record type
 */
public sealed interface Validation<T> permits Validation.Accepted, Validation.Rejected {

    /** The record passed every check. */
    record Accepted<T>(T value) implements Validation<T> {
        public Accepted {
            Objects.requireNonNull(value, "value");
        }
    }

    /** The record failed the first check described by {@code reason}. */
    record Rejected<T>(Reason reason) implements Validation<T> {
        public Rejected {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** True for {@link Accepted}. */
    default boolean accepted() {
        return this instanceof Accepted;
    }
}
