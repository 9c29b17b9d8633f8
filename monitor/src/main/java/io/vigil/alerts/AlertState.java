package io.vigil.alerts;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.events.Alert;
import java.time.Instant;
import java.util.Objects;

/**
 * The evaluator's state of one fingerprint, kept in the {@value AlertEvaluator#STATE_STORE} store:
 * pending since when, or firing with the alert that was sent. Inactive fingerprints have no state.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AlertState(
        String fingerprint,
        Phase phase,
        @JsonProperty("pending_since") Instant pendingSince,
        Alert firing) {

    /** Lifecycle phase before resolution (a resolved alert leaves no state). */
    public enum Phase {
        @JsonProperty("pending")
        PENDING,
        @JsonProperty("firing")
        FIRING
    }

    public AlertState {
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(pendingSince, "pending_since");
        if (phase == Phase.FIRING && firing == null) {
            throw new IllegalArgumentException("a firing state carries its alert");
        }
    }
}
