package io.vigil.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Objects;

/**
 * The one record every stage emits (schemas/metric_snapshot.schema.json): the latest value of one
 * metric for one model version, slice and window. {@code lower}/{@code upper} bound a 95%
 * interval when the metric has one; {@code pValue} is present for tests against the reference.
 * {@code window} is a rolling window such as {@code 7d} or a daily cohort {@code 1d};
 * {@code windowEnd} is the exclusive end of the window in event time.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MetricSnapshot(
        String model,
        String version,
        @JsonProperty("slice_dimension") String sliceDimension,
        @JsonProperty("slice_value") String sliceValue,
        String window,
        @JsonProperty("window_end") Instant windowEnd,
        String metric,
        Double estimate,
        Double lower,
        Double upper,
        long n,
        @JsonProperty("p_value") Double pValue,
        Status status,
        @JsonProperty("computed_at") Instant computedAt) {

    /**
     * Provisional until the cohort's labels have matured; label-free metrics are final when computed.
     * {@code INSUFFICIENT_N}: the metric's own n (in {@link #n()}) is below its documented minimum
     * ({@code outcomes.min-n}); such a snapshot has no estimate and no bounds, replaces any earlier value
     * under the same key, is not exported as a value and is no evidence for or against an alert.
     */
    public enum Status {
        @JsonProperty("provisional")
        PROVISIONAL,
        @JsonProperty("final")
        FINAL,
        @JsonProperty("insufficient_n")
        INSUFFICIENT_N
    }

    public MetricSnapshot {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(sliceDimension, "slice_dimension");
        Objects.requireNonNull(sliceValue, "slice_value");
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(computedAt, "computed_at");
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0");
        }
        if (status == Status.INSUFFICIENT_N && (estimate != null || lower != null || upper != null)) {
            throw new IllegalArgumentException("an insufficient_n snapshot has no estimate or bounds");
        }
    }

    /** Whether the metric's n is below its minimum: no value, no evidence. */
    public boolean insufficientN() {
        return status == Status.INSUFFICIENT_N;
    }

    /** The compaction key: one latest value per model, version, slice, window and metric. */
    public String key() {
        return String.join("|", model, version, sliceDimension, sliceValue, window, metric);
    }
}
