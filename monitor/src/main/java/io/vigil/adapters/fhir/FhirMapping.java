package io.vigil.adapters.fhir;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.adapters.MappingFiles;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Which elements of a FHIR R4 DiagnosticReport or Observation give the ground truth (docs/adapters.md documents
 * every field and the default, {@code default-mapping.json} next to this class). Lists are tried in order and the
 * first element present wins.
 *
 * @param predictionId  identifiers holding the prediction id (the accession the model's predictions are keyed by)
 * @param label         which Observation and value give the label
 * @param observedAt    elements holding when the truth became known, out of {@link #TIME_ELEMENTS}
 * @param timeZone      zone of dates and date-times without an offset, e.g. {@code Europe/Berlin}
 * @param source        the ground-truth source, from the report's or observation's category
 * @param finalStatuses statuses of a first report: revision 0
 * @param corrected     statuses of a correction: a revision above every earlier one ({@link FhirMapper})
 * @param ignored       statuses that are not ground truth yet (preliminary and the like): answered 422, not
 *                      dead-lettered
 */
public record FhirMapping(
        @JsonProperty(value = "prediction_id", required = true)
        List<IdentifierRule> predictionId,

        @JsonProperty(required = true) Label label,

        @JsonProperty(value = "observed_at", required = true)
        List<String> observedAt,

        @JsonProperty(value = "time_zone", required = true) String timeZone,
        @JsonProperty(required = true) Source source,

        @JsonProperty(value = "final_statuses", required = true)
        List<String> finalStatuses,

        @JsonProperty(value = "corrected_statuses", required = true)
        List<String> corrected,

        @JsonProperty(value = "ignored_statuses", required = true)
        List<String> ignored) {

    /** The elements an identifier rule can read. */
    public static final Set<String> IDENTIFIER_ELEMENTS = Set.of(
            "DiagnosticReport.identifier",
            "DiagnosticReport.basedOn.identifier",
            "Observation.identifier",
            "Observation.basedOn.identifier");

    /** The elements {@code observed_at} can read. */
    public static final Set<String> TIME_ELEMENTS = Set.of(
            "DiagnosticReport.issued",
            "DiagnosticReport.effectiveDateTime",
            "Observation.issued",
            "Observation.effectiveDateTime");

    /** Status codes of FHIR R4's DiagnosticReport and Observation status value sets. */
    static final Set<String> STATUSES = Set.of(
            "registered",
            "partial",
            "preliminary",
            "final",
            "amended",
            "corrected",
            "appended",
            "cancelled",
            "entered-in-error",
            "unknown");

    public FhirMapping {
        if (predictionId == null || predictionId.isEmpty()) {
            throw new IllegalArgumentException(
                    "prediction_id needs at least one rule, e.g. {\"element\": \"DiagnosticReport.identifier\"}");
        }
        Objects.requireNonNull(label, "label");
        if (observedAt == null || observedAt.isEmpty()) {
            throw new IllegalArgumentException("observed_at needs at least one element, e.g. DiagnosticReport.issued");
        }
        for (String e : observedAt) {
            if (!TIME_ELEMENTS.contains(e)) {
                throw new IllegalArgumentException("observed_at elements must be among " + sorted(TIME_ELEMENTS));
            }
        }
        try {
            ZoneId.of(Objects.requireNonNull(timeZone, "time_zone"));
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("time_zone must be a zone id such as UTC or Europe/Berlin");
        }
        Objects.requireNonNull(source, "source");
        Set<String> seen = new HashSet<>();
        for (List<String> statuses : List.of(
                Objects.requireNonNull(finalStatuses, "final_statuses"),
                Objects.requireNonNull(corrected, "corrected_statuses"),
                Objects.requireNonNull(ignored, "ignored_statuses"))) {
            for (String s : statuses) {
                if (!STATUSES.contains(s)) {
                    throw new IllegalArgumentException("status " + s + " is not a FHIR R4 report or observation "
                            + "status; use one of " + sorted(STATUSES));
                }
                if (!seen.add(s)) {
                    throw new IllegalArgumentException("status " + s + " is listed twice");
                }
            }
        }
        if (finalStatuses.isEmpty()) {
            throw new IllegalArgumentException("final_statuses needs at least one status, e.g. final");
        }
        predictionId = List.copyOf(predictionId);
        observedAt = List.copyOf(observedAt);
        finalStatuses = List.copyOf(finalStatuses);
        corrected = List.copyOf(corrected);
        ignored = List.copyOf(ignored);
    }

    /** The zone of {@link #timeZone()}. */
    public ZoneId zone() {
        return ZoneId.of(timeZone);
    }

    /**
     * An identifier that holds the prediction id: one of {@code element}'s identifiers whose {@code system} and
     * {@code type} (a code of {@code Identifier.type}, e.g. {@code ACSN} of HL7 table 0203) match. For
     * {@code basedOn.identifier} the reference's own identifier counts, and so do the identifiers of a
     * ServiceRequest it points to in the same Bundle or among the contained resources.
     *
     * @param element one of {@link #IDENTIFIER_ELEMENTS}
     * @param system  {@code Identifier.system}, e.g. the hospital's accession number namespace; null = any
     * @param type    a code of {@code Identifier.type.coding}; null = any
     */
    public record IdentifierRule(
            @JsonProperty(required = true) String element, String system, String type) {
        public IdentifierRule {
            if (element == null || !IDENTIFIER_ELEMENTS.contains(element)) {
                throw new IllegalArgumentException(
                        "prediction_id element must be one of " + sorted(IDENTIFIER_ELEMENTS));
            }
        }

        /** How the rule is named in reasons: the element, never a value. */
        String describe() {
            return element
                    + (system == null ? "" : "[system=" + system + "]")
                    + (type == null ? "" : "[type=" + type + "]");
        }
    }

    /**
     * The label: an Observation whose {@code code} is one of {@code observationCodes} (any Observation when
     * empty) and whose value gives 0 or 1: a {@code valueCodeableConcept} coding in {@code codes}; a
     * {@code valueBoolean} when {@code bool} is true; a {@code valueQuantity} when {@code positiveAtOrAbove} is
     * set (at or above: 1, below: 0).
     */
    public record Label(
            @JsonProperty(value = "observation_codes", required = true)
            List<Coding> observationCodes,

            @JsonProperty(required = true) List<Code> codes,
            @JsonProperty("boolean") boolean bool,

            @JsonProperty("positive_at_or_above") BigDecimal positiveAtOrAbove) {
        public Label {
            observationCodes = List.copyOf(Objects.requireNonNull(observationCodes, "label.observation_codes"));
            codes = List.copyOf(Objects.requireNonNull(codes, "label.codes"));
            if (codes.isEmpty() && !bool && positiveAtOrAbove == null) {
                throw new IllegalArgumentException(
                        "label needs codes, \"boolean\": true or positive_at_or_above to read a value");
            }
        }
    }

    /**
     * A coding that selects an Observation by its {@code Observation.code}.
     *
     * @param system the code system, e.g. {@code http://loinc.org}; null = any system
     * @param code   the code
     */
    public record Coding(
            String system, @JsonProperty(required = true) String code) {
        public Coding {
            if (code == null || code.isBlank()) {
                throw new IllegalArgumentException("label.observation_codes: code must not be empty");
            }
        }

        boolean matches(String sentSystem, String sentCode) {
            return code.equals(sentCode) && (system == null || system.equals(sentSystem));
        }
    }

    /**
     * One entry of the code table of {@code valueCodeableConcept}.
     *
     * @param system the code system, e.g. {@code http://snomed.info/sct}; null = any system
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
     * The ground-truth source: the first code of the DiagnosticReport's (or a lone Observation's) {@code
     * category} found in {@code values}, else {@code fallback}.
     *
     * @param values   category code to source, e.g. {@code PAT -> pathology} (HL7 table 0074 codes, as
     *                 DiagnosticReport.category uses them)
     * @param fallback source when no category code is in {@code values}; null = the resource is unmappable
     */
    public record Source(
            Map<String, String> values,
            @JsonProperty("default") String fallback) {
        public Source {
            values = Map.copyOf(values == null ? Map.of() : values);
            values.values().forEach(Source::check);
            if (fallback != null) {
                check(fallback);
            }
            if (values.isEmpty() && fallback == null) {
                throw new IllegalArgumentException("source needs values or a default");
            }
        }

        private static void check(String source) {
            MappingFiles.checkSourceName(source);
        }
    }

    /** The mapping in {@code file}; failures name the file and the rule, and never hold resource data. */
    public static FhirMapping load(Path file) {
        return MappingFiles.load(FhirMapping.class, file, "FHIR mapping");
    }

    /** The built-in mapping (default-mapping.json, documented in docs/adapters.md). */
    public static FhirMapping defaults() {
        return MappingFiles.builtIn(FhirMapping.class);
    }

    private static String sorted(Set<String> values) {
        return String.join(", ", values.stream().sorted().toList());
    }
}
