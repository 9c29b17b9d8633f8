package io.vigil.adapters.hl7;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.adapters.MappingFiles;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which fields of an ORU^R01 result give the ground truth (docs/adapters.md documents every field and the
 * default, {@code default-mapping.json} next to this class). A field is named {@code SEG-field[-component
 * [-subcomponent]]}, for example {@code OBR-3-1}; {@code SEG} is {@code MSH}, {@code OBR} (the order the
 * result belongs to) or {@code OBX} (the observation that carries the label). Lists of fields are tried in
 * order and the first non-empty one wins.
 *
 * @param predictionId   fields holding the prediction id (the accession or order number the model's
 *                       predictions are keyed by)
 * @param label          which observation and code give the label
 * @param observedAt     fields holding when the truth became known (HL7 DTM)
 * @param timeZone       zone of DTM values without an offset, e.g. {@code Europe/Berlin}
 * @param source         the ground-truth source
 * @param resultStatus   fields holding the result status (HL7 table 0085 / 0123)
 * @param finalStatuses  statuses of a first report: revision 0
 * @param corrected      statuses of a correction: a revision above every earlier one ({@link OruMapper})
 * @param ignored        statuses acknowledged without producing anything (preliminary and the like)
 */
public record Hl7Mapping(
        @JsonProperty(value = "prediction_id", required = true)
        List<String> predictionId,

        @JsonProperty(required = true) Label label,

        @JsonProperty(value = "observed_at", required = true)
        List<String> observedAt,

        @JsonProperty(value = "time_zone", required = true) String timeZone,
        @JsonProperty(required = true) Source source,

        @JsonProperty(value = "result_status", required = true)
        List<String> resultStatus,

        @JsonProperty(value = "final_statuses", required = true)
        List<String> finalStatuses,

        @JsonProperty(value = "corrected_statuses", required = true)
        List<String> corrected,

        @JsonProperty(value = "ignored_statuses", required = true)
        List<String> ignored) {

    private static final Pattern FIELD = Pattern.compile("(MSH|OBR|OBX)-[1-9][0-9]{0,2}(-[1-9][0-9]?){0,2}");

    public Hl7Mapping {
        fields("prediction_id", predictionId);
        Objects.requireNonNull(label, "label");
        fields("observed_at", observedAt);
        try {
            ZoneId.of(Objects.requireNonNull(timeZone, "time_zone"));
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("time_zone must be a zone id such as UTC or Europe/Berlin");
        }
        Objects.requireNonNull(source, "source");
        fields("result_status", resultStatus);
        Set<String> seen = new HashSet<>();
        for (List<String> statuses : List.of(
                Objects.requireNonNull(finalStatuses, "final_statuses"),
                Objects.requireNonNull(corrected, "corrected_statuses"),
                Objects.requireNonNull(ignored, "ignored_statuses"))) {
            for (String s : statuses) {
                if (!seen.add(s)) {
                    throw new IllegalArgumentException("result status " + s + " is listed twice");
                }
            }
        }
        if (finalStatuses.isEmpty()) {
            throw new IllegalArgumentException("final_statuses needs at least one status, e.g. F");
        }
        predictionId = List.copyOf(predictionId);
        observedAt = List.copyOf(observedAt);
        resultStatus = List.copyOf(resultStatus);
        finalStatuses = List.copyOf(finalStatuses);
        corrected = List.copyOf(corrected);
        ignored = List.copyOf(ignored);
    }

    /** The zone of {@link #timeZone()}. */
    public ZoneId zone() {
        return ZoneId.of(timeZone);
    }

    /**
     * The label: the OBX whose identifier (OBX-3-1) is one of {@code observationIds} (any OBX when empty) and
     * whose coded value is in {@code codes}.
     *
     * @param observationIds OBX-3-1 identifiers of the observations that carry the label; empty = any
     * @param value          field of the code, e.g. {@code OBX-5-1}
     * @param codingSystem   field of the coding system, e.g. {@code OBX-5-3}
     * @param codes          the code table
     */
    public record Label(
            @JsonProperty(value = "observation_ids", required = true)
            List<String> observationIds,

            @JsonProperty(required = true) String value,

            @JsonProperty(value = "coding_system", required = true)
            String codingSystem,

            @JsonProperty(required = true) List<Code> codes) {
        public Label {
            observationIds = List.copyOf(Objects.requireNonNull(observationIds, "label.observation_ids"));
            checkField("label.value", value, "OBX");
            checkField("label.coding_system", codingSystem, "OBX");
            if (codes == null || codes.isEmpty()) {
                throw new IllegalArgumentException("label.codes needs at least one code");
            }
            codes = List.copyOf(codes);
        }
    }

    /**
     * One entry of the code table.
     *
     * @param system coding system as sent in the coding-system field (e.g. {@code SCT}); null = any system
     * @param code   the code
     * @param label  1 positive, 0 negative
     */
    public record Code(
            String system,
            @JsonProperty(required = true) String code,
            @JsonProperty(required = true) int label) {
        public Code {
            if (code == null || code.isBlank()) {
                throw new IllegalArgumentException("label.codes: code must not be empty");
            }
            if (label != 0 && label != 1) {
                throw new IllegalArgumentException("label.codes: label must be 0 or 1");
            }
        }

        boolean matches(String sentSystem, String sentCode) {
            return code.equals(sentCode) && (system == null || system.equals(sentSystem));
        }
    }

    /**
     * The ground-truth source: the value of {@code field} looked up in {@code values}, else {@code fallback}.
     *
     * @param field    field to look up, e.g. {@code OBR-24} (diagnostic service section); null = always the default
     * @param values   field value to source, e.g. {@code SP -> pathology}
     * @param fallback source when the field is empty or not in {@code values}; null = the message is unmappable
     */
    public record Source(
            String field,
            Map<String, String> values,
            @JsonProperty("default") String fallback) {
        public Source {
            if (field != null) {
                checkField("source.field", field, null);
            }
            values = Map.copyOf(values == null ? Map.of() : values);
            values.values().forEach(Source::check);
            if (fallback != null) {
                check(fallback);
            }
            if (field == null && fallback == null) {
                throw new IllegalArgumentException("source needs a field or a default");
            }
        }

        private static void check(String source) {
            MappingFiles.checkSourceName(source);
        }
    }

    /** The mapping in {@code file}; failures name the file and the rule, and never hold message data. */
    public static Hl7Mapping load(Path file) {
        return MappingFiles.load(Hl7Mapping.class, file, "HL7 mapping");
    }

    /** The built-in mapping (default-mapping.json, documented in docs/adapters.md). */
    public static Hl7Mapping defaults() {
        return MappingFiles.builtIn(Hl7Mapping.class);
    }

    private static void fields(String name, List<String> fields) {
        if (fields == null || fields.isEmpty()) {
            throw new IllegalArgumentException(name + " needs at least one field, e.g. OBR-3-1");
        }
        fields.forEach(f -> checkField(name, f, null));
    }

    private static void checkField(String name, String field, String segment) {
        if (field == null || !FIELD.matcher(field).matches() || (segment != null && !field.startsWith(segment))) {
            throw new IllegalArgumentException(name + " must name a field as "
                    + (segment == null ? "MSH|OBR|OBX" : segment) + "-<field>[-<component>[-<subcomponent>]]"
                    + ", e.g. OBR-3-1");
        }
    }
}
