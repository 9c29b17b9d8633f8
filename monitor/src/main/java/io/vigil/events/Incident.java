package io.vigil.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Alerts of one model version grouped under their root cause (schemas/incident.schema.json): the smallest
 * set of slices whose change explains every alert in it. {@code id} is stable for the incident's life,
 * whatever its root becomes as evidence arrives; one record per transition on the compacted incidents
 * topic, keyed by id.
 *
 * @param transition    what this record changed: {@code opened}, {@code root_changed}, {@code escalated},
 *                      {@code updated} (member alerts changed) or {@code resolved}
 * @param changeAt      estimated start of the change (earliest CUSUM change start on the root, else its first
 *                      software change in the look-back), null when no detector dates it
 * @param acquisitionChanges software changes seen on the root's scanners in the look-back, e.g.
 *                      {@code S02/CT-2: Siemens SOMATOM Force syngo CT VA50A -> ... VA60A on 2026-03-25}
 * @param alerts        the member alerts, root's first, then the evidence most specific first
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Incident(
        String id,
        Status status,
        String transition,
        Alert.Severity severity,
        ModelRef model,
        List<Slice> root,
        @JsonProperty("first_detected") Instant firstDetected,
        @JsonProperty("updated_at") Instant updatedAt,
        @JsonProperty("resolved_at") Instant resolvedAt,
        @JsonProperty("change_at") Instant changeAt,
        @JsonProperty("acquisition_changes") List<String> acquisitionChanges,
        List<Member> alerts,
        String summary) {

    public enum Status {
        @JsonProperty("firing")
        FIRING,
        @JsonProperty("resolved")
        RESOLVED
    }

    /** One member alert: its identity and where it fired; {@code root} when on a root slice, else evidence. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Member(
            String fingerprint,
            String rule,
            String metric,
            Alert.Severity severity,
            @JsonProperty("slice_dimension") String sliceDimension,
            @JsonProperty("slice_value") String sliceValue,
            String window,
            @JsonProperty("started_at") Instant startedAt,
            String role) {

        public Member {
            Objects.requireNonNull(fingerprint, "fingerprint");
            Objects.requireNonNull(rule, "rule");
            Objects.requireNonNull(sliceDimension, "slice_dimension");
            Objects.requireNonNull(sliceValue, "slice_value");
            Objects.requireNonNull(role, "role");
        }
    }

    public Incident {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(transition, "transition");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(model, "model");
        root = List.copyOf(root);
        Objects.requireNonNull(firstDetected, "first_detected");
        Objects.requireNonNull(updatedAt, "updated_at");
        acquisitionChanges = acquisitionChanges == null ? List.of() : List.copyOf(acquisitionChanges);
        alerts = List.copyOf(alerts);
        Objects.requireNonNull(summary, "summary");
    }
}
