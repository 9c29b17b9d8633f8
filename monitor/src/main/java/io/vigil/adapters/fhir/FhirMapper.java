package io.vigil.adapters.fhir;

import io.vigil.events.GroundTruth;
import io.vigil.events.Reason;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.hl7.fhir.r4.model.BaseDateTimeType;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Type;

/**
 * Maps FHIR R4 DiagnosticReport and Observation resources (parsed into HAPI's R4 model) to ground-truth events
 * through a {@link FhirMapping}: one event per DiagnosticReport, with the label from its {@code result}
 * Observations (contained, or entries of the same Bundle), and one per Observation that stands alone. Pure: no
 * I/O, no logging. Reasons name the FHIR element and the rule, never an element's value (values are patient
 * data).
 *
 * <p>Revision, as for HL7 v2: a final status gives revision 0; a corrected status (amended, corrected,
 * appended) gives the number of seconds from 2000-01-01T00:00:00Z to the result's {@code observed_at} (at
 * least 1), so any correction replaces the final result and a later correction an earlier one. Status {@code
 * entered-in-error} is unmappable: ground truth has no retraction, so the sender is told to send a corrected
 * report instead.
 */
public final class FhirMapper {
    /** Epoch of corrected revisions (the same as the HL7 v2 adapter's). */
    static final Instant REVISION_EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    private static final int MAX_PREDICTION_ID = 128;

    private final FhirMapping mapping;

    public FhirMapper(FhirMapping mapping) {
        this.mapping = Objects.requireNonNull(mapping, "mapping");
    }

    /** What became of a resource. */
    public sealed interface Outcome {}

    /** Ground truth to produce. */
    public record Mapped(GroundTruth event) implements Outcome {}

    /** A valid result that is not ground truth (yet): preliminary and similar statuses. Not dead-lettered. */
    public record Ignored(String why) implements Outcome {}

    /** A resource that cannot be mapped: refused with the reason, and dead-lettered. */
    public record Unmappable(Reason reason) implements Outcome {
        static Unmappable of(String code, String path, String message) {
            return new Unmappable(new Reason(code, path, message));
        }
    }

    /**
     * A Bundle entry that gives no event of its own: an Observation that is the result of a DiagnosticReport in
     * the same Bundle, or a resource of another type (Patient, ServiceRequest, ...).
     */
    public record Supporting(String why) implements Outcome {}

    /** The outcome of the Bundle entry at {@code index} (0-based), holding a resource of {@code resourceType}. */
    public record Entry(int index, String resourceType, Outcome outcome) {}

    /** Maps a DiagnosticReport or Observation on its own; references resolve among its contained resources. */
    public Outcome map(Resource resource) {
        return map(resource, Map.of());
    }

    /**
     * Maps every entry of {@code bundle}. References between entries resolve by {@code fullUrl} and by
     * {@code Type/id}.
     */
    public List<Entry> map(Bundle bundle) {
        Map<String, Resource> index = new HashMap<>();
        for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
            Resource r = e.getResource();
            if (r == null) {
                continue;
            }
            if (e.hasFullUrl()) {
                index.put(e.getFullUrl(), r);
            }
            if (r.getIdElement().hasIdPart()) {
                index.put(r.fhirType() + "/" + r.getIdElement().getIdPart(), r);
            }
        }
        Map<Resource, Boolean> results = new IdentityHashMap<>();
        for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
            if (e.getResource() instanceof DiagnosticReport report) {
                for (Reference ref : report.getResult()) {
                    Resource r = resolve(ref, report, index);
                    if (r != null) {
                        results.put(r, true);
                    }
                }
            }
        }
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < bundle.getEntry().size(); i++) {
            Resource r = bundle.getEntry().get(i).getResource();
            String path = "Bundle.entry[" + i + "].resource";
            if (r == null) {
                entries.add(new Entry(i, "", Unmappable.of(Reason.MISSING_FIELD, path, "the entry holds no resource")));
            } else if (r instanceof DiagnosticReport) {
                entries.add(new Entry(i, r.fhirType(), map(r, index)));
            } else if (r instanceof Observation && results.containsKey(r)) {
                entries.add(new Entry(i, r.fhirType(), new Supporting("result of a DiagnosticReport in this Bundle")));
            } else if (r instanceof Observation) {
                entries.add(new Entry(i, r.fhirType(), map(r, index)));
            } else {
                entries.add(new Entry(
                        i,
                        r.fhirType(),
                        new Supporting("not ground truth itself: only DiagnosticReport and Observation are mapped")));
            }
        }
        return entries;
    }

    private Outcome map(Resource resource, Map<String, Resource> bundle) {
        return switch (resource) {
            case DiagnosticReport report -> mapReport(report, bundle);
            case Observation observation -> mapObservation(observation, bundle);
            default ->
                Unmappable.of(
                        Reason.UNKNOWN_ENUM,
                        "resourceType",
                        "only DiagnosticReport and Observation (or a Bundle of them) are ground truth");
        };
    }

    private Outcome mapReport(DiagnosticReport report, Map<String, Resource> bundle) {
        List<Observation> observations = new ArrayList<>();
        int unresolved = 0;
        for (Reference ref : report.getResult()) {
            if (resolve(ref, report, bundle) instanceof Observation o) {
                observations.add(o);
            } else {
                unresolved++;
            }
        }
        String status = report.hasStatus() ? report.getStatus().toCode() : "";
        Label label = label(observations, "DiagnosticReport.result", unresolved);
        return mapResult("DiagnosticReport", status, label, report, report.getCategory(), bundle);
    }

    private Outcome mapObservation(Observation observation, Map<String, Resource> bundle) {
        String status = observation.hasStatus() ? observation.getStatus().toCode() : "";
        Label found = label(List.of(observation), "Observation", 0);
        // A lone Observation is where its identifiers are read, whether or not it carries a label.
        Label label = new Label(found.value(), observation, found.problem());
        return mapResult("Observation", status, label, null, observation.getCategory(), bundle);
    }

    /** The label found among observations: a value and the Observation carrying it, or the reason there is none. */
    private record Label(Integer value, Observation carrier, Unmappable problem) {}

    private Label label(List<Observation> observations, String path, int unresolved) {
        FhirMapping.Label rule = mapping.label();
        Integer value = null;
        Observation carrier = null;
        Unmappable unknown = null;
        for (Observation o : observations) {
            if (!rule.observationCodes().isEmpty() && !selected(o.getCode(), rule.observationCodes())) {
                if (unknown == null && observations.size() == 1 && unresolved == 0) {
                    unknown = Unmappable.of(
                            Reason.UNKNOWN_ENUM, path + ".code", "code is not among label.observation_codes");
                }
                continue;
            }
            Read read = read(o.getValue(), path + ".value[x]");
            if (read.problem() != null) {
                unknown = unknown == null ? read.problem() : unknown;
                continue;
            }
            int v = read.label();
            if (value != null && value != v) {
                return new Label(
                        null,
                        null,
                        Unmappable.of(Reason.INVALID, path, "observations of one report carry conflicting labels"));
            }
            value = v;
            carrier = carrier == null ? o : carrier;
        }
        if (value != null) {
            return new Label(value, carrier, null);
        }
        if (unknown != null) {
            return new Label(null, null, unknown);
        }
        String why = observations.isEmpty() ? "no result Observation" : "no Observation carries a label";
        if (unresolved > 0) {
            why += " (" + unresolved + " result reference(s) resolve neither to a contained Observation nor to one "
                    + "in the same Bundle)";
        }
        return new Label(null, null, Unmappable.of(Reason.MISSING_FIELD, path, why));
    }

    /** The label one value gives (0 or 1), or why it gives none. */
    private record Read(int label, Unmappable problem) {
        static Read of(int label) {
            return new Read(label, null);
        }

        static Read refused(String code, String path, String message) {
            return new Read(-1, Unmappable.of(code, path, message));
        }
    }

    private Read read(Type value, String path) {
        FhirMapping.Label rule = mapping.label();
        switch (value) {
            case CodeableConcept concept
            when !rule.codes().isEmpty() -> {
                for (Coding c : concept.getCoding()) {
                    Optional<FhirMapping.Code> match = rule.codes().stream()
                            .filter(code -> code.matches(c.getSystem(), c.getCode()))
                            .findFirst();
                    if (match.isPresent()) {
                        return Read.of(match.get().label());
                    }
                }
                return Read.refused(
                        Reason.UNKNOWN_ENUM,
                        path.replace("value[x]", "valueCodeableConcept"),
                        "no coding is in the label code table (label.codes)");
            }
            case BooleanType b
            when rule.bool() && b.hasValue() -> {
                return Read.of(b.booleanValue() ? 1 : 0);
            }
            case Quantity q
            when rule.positiveAtOrAbove() != null && q.hasValue() -> {
                return Read.of(q.getValue().compareTo(rule.positiveAtOrAbove()) >= 0 ? 1 : 0);
            }
            case null -> {
                return Read.refused(Reason.MISSING_FIELD, path, "the Observation has no value");
            }
            default -> {
                return Read.refused(
                        Reason.WRONG_TYPE,
                        path,
                        "value" + capitalised(value.fhirType()) + " is not a label value the mapping reads "
                                + "(label.codes, boolean, positive_at_or_above)");
            }
        }
    }

    private Outcome mapResult(
            String type,
            String status,
            Label label,
            DiagnosticReport report,
            List<CodeableConcept> category,
            Map<String, Resource> bundle) {
        String statusPath = type + ".status";
        if (status.isEmpty()) {
            return Unmappable.of(Reason.MISSING_FIELD, statusPath, "no status");
        }
        if (mapping.ignored().contains(status)) {
            return new Ignored("status " + status + " is not ground truth yet; send the final result");
        }
        if (status.equals("entered-in-error")) {
            return Unmappable.of(
                    Reason.INVALID,
                    statusPath,
                    "entered-in-error cannot retract ground truth; send the report again with a corrected status "
                            + "and the right label");
        }
        boolean isFinal = mapping.finalStatuses().contains(status);
        if (!isFinal && !mapping.corrected().contains(status)) {
            return Unmappable.of(
                    Reason.UNKNOWN_ENUM,
                    statusPath,
                    "status is not among final_statuses, corrected_statuses or ignored_statuses");
        }

        String predictionId = predictionId(report, label.carrier(), bundle);
        if (predictionId.isEmpty()) {
            return Unmappable.of(
                    Reason.MISSING_FIELD,
                    rulesOf(type),
                    "no prediction id (accession): no identifier matches the prediction_id rules");
        }
        if (predictionId.length() > MAX_PREDICTION_ID) {
            return Unmappable.of(Reason.OUT_OF_RANGE, rulesOf(type), "prediction id must be <= 128 characters");
        }
        if (label.problem() != null) {
            return label.problem();
        }

        Observation carrier = label.carrier();
        Instant observedAt = null;
        for (String element : mapping.observedAt()) {
            BaseDateTimeType time = time(element, report, carrier);
            if (time == null || !time.hasValue()) {
                continue;
            }
            Optional<Instant> parsed = parse(time.getValueAsString());
            if (parsed.isEmpty()) {
                return Unmappable.of(Reason.BAD_TIMESTAMP, element, "must be at least a full date (YYYY-MM-DD)");
            }
            observedAt = parsed.get();
            break;
        }
        if (observedAt == null) {
            return Unmappable.of(Reason.MISSING_FIELD, String.join(",", mapping.observedAt()), "no observed time");
        }

        String source = source(category);
        if (source == null) {
            return Unmappable.of(
                    Reason.UNKNOWN_ENUM,
                    type + ".category",
                    "no category code is in source.values and there is no default");
        }
        int revision = isFinal ? 0 : correctedRevision(observedAt);
        return new Mapped(new GroundTruth(predictionId, label.value(), observedAt, source, revision));
    }

    private String rulesOf(String type) {
        return String.join(
                ",",
                mapping.predictionId().stream()
                        .map(FhirMapping.IdentifierRule::describe)
                        .toList());
    }

    private String predictionId(DiagnosticReport report, Observation carrier, Map<String, Resource> bundle) {
        for (FhirMapping.IdentifierRule rule : mapping.predictionId()) {
            boolean onReport = rule.element().startsWith("DiagnosticReport.");
            Resource subject = onReport ? report : carrier;
            if (subject == null) {
                continue;
            }
            List<Identifier> identifiers = new ArrayList<>();
            if (rule.element().endsWith(".basedOn.identifier")) {
                List<Reference> basedOn =
                        subject instanceof DiagnosticReport r ? r.getBasedOn() : ((Observation) subject).getBasedOn();
                for (Reference ref : basedOn) {
                    if (ref.hasIdentifier()) {
                        identifiers.add(ref.getIdentifier());
                    }
                    Resource target = resolve(ref, subject, bundle);
                    if (target == null && report != null) {
                        target = resolve(ref, report, bundle); // an Observation's order, contained in its report
                    }
                    if (target instanceof ServiceRequest order) {
                        identifiers.addAll(order.getIdentifier());
                    }
                }
            } else {
                identifiers.addAll(
                        subject instanceof DiagnosticReport r
                                ? r.getIdentifier()
                                : ((Observation) subject).getIdentifier());
            }
            for (Identifier id : identifiers) {
                if (matches(rule, id)) {
                    return id.getValue().strip();
                }
            }
        }
        return "";
    }

    private static boolean matches(FhirMapping.IdentifierRule rule, Identifier id) {
        if (!id.hasValue() || id.getValue().isBlank()) {
            return false;
        }
        if (rule.system() != null && !rule.system().equals(id.getSystem())) {
            return false;
        }
        return rule.type() == null
                || id.getType().getCoding().stream().anyMatch(c -> rule.type().equals(c.getCode()));
    }

    private static BaseDateTimeType time(String element, DiagnosticReport report, Observation carrier) {
        return switch (element) {
            case "DiagnosticReport.issued" -> report == null ? null : report.getIssuedElement();
            case "DiagnosticReport.effectiveDateTime" ->
                report != null && report.getEffective() instanceof DateTimeType t ? t : null;
            case "Observation.issued" -> carrier == null ? null : carrier.getIssuedElement();
            case "Observation.effectiveDateTime" ->
                carrier != null && carrier.getEffective() instanceof DateTimeType t ? t : null;
            default -> null;
        };
    }

    /** A FHIR date-time with offset, or a date or date-time without one read in the mapping's zone. */
    Optional<Instant> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(value).toInstant());
        } catch (DateTimeParseException e) {
            // without an offset: below
        }
        try {
            if (value.length() == 10) {
                return Optional.of(
                        LocalDate.parse(value).atStartOfDay(mapping.zone()).toInstant());
            }
            return Optional.of(LocalDateTime.parse(value).atZone(mapping.zone()).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private String source(List<CodeableConcept> categories) {
        for (CodeableConcept category : categories) {
            for (Coding c : category.getCoding()) {
                String s = c.hasCode() ? mapping.source().values().get(c.getCode()) : null;
                if (s != null) {
                    return s;
                }
            }
        }
        return mapping.source().fallback();
    }

    private static boolean selected(CodeableConcept code, List<FhirMapping.Coding> codes) {
        for (Coding c : code.getCoding()) {
            for (FhirMapping.Coding wanted : codes) {
                if (wanted.matches(c.getSystem(), c.getCode())) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The resource {@code ref} points to: set by the parser, contained in {@code container}, or an entry of the
     * Bundle by {@code fullUrl} or {@code Type/id}; null when it is none of these.
     */
    static Resource resolve(Reference ref, Resource container, Map<String, Resource> bundle) {
        if (ref.getResource() instanceof Resource r) {
            return r;
        }
        String target = ref.getReference();
        if (target == null || target.isEmpty()) {
            return null;
        }
        if (target.startsWith("#")) {
            if (container instanceof org.hl7.fhir.r4.model.DomainResource d) {
                String id = target.substring(1);
                for (Resource c : d.getContained()) {
                    String cid = c.getIdElement().getIdPart();
                    if (cid != null && (cid.equals(id) || cid.equals(target))) {
                        return c;
                    }
                }
            }
            return null;
        }
        Resource r = bundle.get(target);
        if (r != null) {
            return r;
        }
        IdType id = new IdType(target);
        return id.hasResourceType() && id.hasIdPart() ? bundle.get(id.getResourceType() + "/" + id.getIdPart()) : null;
    }

    /** Revision of a corrected result observed at {@code observedAt}: seconds since {@link #REVISION_EPOCH}, at least 1. */
    static int correctedRevision(Instant observedAt) {
        long seconds = observedAt.getEpochSecond() - REVISION_EPOCH.getEpochSecond();
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, seconds));
    }

    private static String capitalised(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
