package io.vigil.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Objects;

/**
 * An alert (schemas/alert.schema.json). {@code id} is stable across retries of one transition;
 * {@code fingerprint} identifies the rule + model + version + slice, so one condition is one alert.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Alert(
        String id,
        String fingerprint,
        Status status,
        Severity severity,
        String rule,
        String metric,
        ModelRef model,
        @JsonProperty("slice_dimension") String sliceDimension,
        @JsonProperty("slice_value") String sliceValue,
        String window,
        Observed observed,
        Double reference,
        @JsonProperty("started_at") Instant startedAt,
        @JsonProperty("resolved_at") Instant resolvedAt,
        String summary) {

    public enum Status {
        @JsonProperty("firing")
        FIRING,
        @JsonProperty("resolved")
        RESOLVED
    }

    public enum Severity {
        @JsonProperty("info")
        INFO,
        @JsonProperty("warning")
        WARNING,
        @JsonProperty("critical")
        CRITICAL
    }

    /** The observed value with its 95% interval and sample size. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Observed(
            Double estimate,
            Double lower,
            Double upper,
            long n,
            @JsonProperty("p_value") Double pValue) {}

    public Alert {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(sliceDimension, "slice_dimension");
        Objects.requireNonNull(sliceValue, "slice_value");
        Objects.requireNonNull(observed, "observed");
        Objects.requireNonNull(startedAt, "started_at");
        Objects.requireNonNull(summary, "summary");
    }
}
