package io.vigil.events;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Objects;

/**
 * The reference outcome for one prediction (schemas/ground_truth.schema.json). A higher
 * {@code revision} for the same {@code predictionId} replaces a lower one.
 */
public record GroundTruth(
        @JsonProperty("prediction_id") String predictionId,
        int label,
        @JsonProperty("observed_at") Instant observedAt,
        String source,
        int revision) {

    public GroundTruth {
        Objects.requireNonNull(predictionId, "prediction_id");
        Objects.requireNonNull(observedAt, "observed_at");
        Objects.requireNonNull(source, "source");
        if (label != 0 && label != 1) {
            throw new IllegalArgumentException("label must be 0 or 1");
        }
        if (revision < 0) {
            throw new IllegalArgumentException("revision must be >= 0");
        }
    }
}
