package io.vigil.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One model output for one study (schemas/prediction.schema.json). {@code score} is the
 * probability of the positive class in [0,1]; the case is predicted positive iff
 * {@code score >= threshold}. {@code subjectKey} and {@code studyKey} are pseudonymous but still
 * PHI: they never leave the data path. {@code features} and {@code attributes} are never null
 * (empty when absent) and are omitted from JSON when empty. Constructor messages name the rule,
 * never the value.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Prediction(
        @JsonProperty("prediction_id") String predictionId,
        @JsonProperty("occurred_at") Instant occurredAt,
        ModelRef model,
        String task,
        double score,
        double threshold,
        @JsonProperty("predicted_label") Integer predictedLabel,
        String site,
        Scanner scanner,
        @JsonProperty("subject_key") String subjectKey,
        @JsonProperty("study_key") String studyKey,
        Demographics demographics,
        Double uncertainty,
        Boolean abstained,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, Double> features,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> attributes) {

    public Prediction {
        Objects.requireNonNull(predictionId, "prediction_id");
        Objects.requireNonNull(occurredAt, "occurred_at");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(site, "site");
        Objects.requireNonNull(scanner, "scanner");
        if (!(score >= 0.0 && score <= 1.0)) {
            throw new IllegalArgumentException("score must be in [0,1]");
        }
        if (!(threshold >= 0.0 && threshold <= 1.0)) {
            throw new IllegalArgumentException("threshold must be in [0,1]");
        }
        if (uncertainty != null && !(uncertainty >= 0.0 && uncertainty <= 1.0)) {
            throw new IllegalArgumentException("uncertainty must be in [0,1]");
        }
        if (predictedLabel != null && predictedLabel != 0 && predictedLabel != 1) {
            throw new IllegalArgumentException("predicted_label must be 0 or 1");
        }
        if (features != null) {
            for (Double value : features.values()) {
                if (value == null || !Double.isFinite(value)) {
                    throw new IllegalArgumentException("features values must be finite numbers");
                }
            }
        }
        features = features == null ? Map.of() : Map.copyOf(features);
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
    }

    /**
     * This prediction's content under another id, time and model: how the simulator's records are re-stamped for a
     * replay, a live load or a probe.
     */
    public Prediction restamped(String id, Instant at, ModelRef asModel) {
        return new Prediction(
                id,
                at,
                asModel,
                task,
                score,
                threshold,
                predictedLabel,
                site,
                scanner,
                subjectKey,
                studyKey,
                demographics,
                uncertainty,
                abstained,
                features,
                attributes);
    }

    /** The decision at the deployed operating point: positive iff score >= threshold. */
    public boolean predictedPositive() {
        return score >= threshold;
    }
}
