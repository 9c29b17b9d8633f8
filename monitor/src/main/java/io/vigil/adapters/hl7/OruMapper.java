package io.vigil.adapters.hl7;

import ca.uhn.hl7v2.AcknowledgmentCode;
import ca.uhn.hl7v2.ErrorCode;
import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.model.Segment;
import ca.uhn.hl7v2.model.v251.group.ORU_R01_OBSERVATION;
import ca.uhn.hl7v2.model.v251.group.ORU_R01_ORDER_OBSERVATION;
import ca.uhn.hl7v2.model.v251.group.ORU_R01_PATIENT_RESULT;
import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import ca.uhn.hl7v2.model.v251.segment.OBX;
import ca.uhn.hl7v2.util.Terser;
import io.vigil.events.GroundTruth;
import io.vigil.events.Reason;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps one ORU^R01 message (parsed into HL7 v2.5.1 structures) to ground-truth events through an
 * {@link Hl7Mapping}: one event per order (OBR) that carries a final or corrected result. Pure: no I/O, no
 * logging. Reasons name the HL7 field and the rule, never a field's value (values are patient data).
 *
 * <p>Revision: a final status gives revision 0; a corrected status gives the number of seconds from
 * 2000-01-01T00:00:00Z to the result's {@code observed_at} (at least 1), so any correction replaces the
 * final result and a later correction replaces an earlier one, as HL7 carries no correction counter.
 */
public final class OruMapper {
    /** Epoch of corrected revisions. */
    static final Instant REVISION_EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    private static final int MAX_PREDICTION_ID = 128;
    private static final Pattern DTM = Pattern.compile(
            "(\\d{4})(\\d{2})(\\d{2})(?:(\\d{2})(?:(\\d{2})(?:(\\d{2})(?:\\.(\\d{1,4}))?)?)?)?([+-]\\d{4})?");

    private final Hl7Mapping mapping;

    public OruMapper(Hl7Mapping mapping) {
        this.mapping = Objects.requireNonNull(mapping, "mapping");
    }

    /** What became of a message. */
    public sealed interface Outcome {}

    /** Ground truth to produce, one per order with a final or corrected result; never empty. */
    public record Mapped(List<GroundTruth> events) implements Outcome {
        public Mapped {
            if (events.isEmpty()) {
                throw new IllegalArgumentException("a mapped message has at least one event");
            }
            events = List.copyOf(events);
        }
    }

    /** A valid result that is not ground truth (yet): preliminary and similar statuses. Acknowledged with AA. */
    public record Ignored(String why) implements Outcome {}

    /**
     * A message that cannot be mapped: answered with {@code ack} (AE or AR) and an ERR segment holding
     * {@code error} and the reason, and dead-lettered.
     */
    public record Unmappable(Reason reason, AcknowledgmentCode ack, ErrorCode error) implements Outcome {
        static Unmappable of(String code, String field, String message) {
            ErrorCode error = switch (code) {
                case Reason.MISSING_FIELD -> ErrorCode.REQUIRED_FIELD_MISSING;
                case Reason.UNKNOWN_ENUM -> ErrorCode.TABLE_VALUE_NOT_FOUND;
                case Reason.BAD_TIMESTAMP, Reason.OUT_OF_RANGE -> ErrorCode.DATA_TYPE_ERROR;
                default -> ErrorCode.APPLICATION_INTERNAL_ERROR;
            };
            return new Unmappable(new Reason(code, field, message), AcknowledgmentCode.AE, error);
        }

        /** The text of the ERR segment. */
        public String text() {
            return reason.toString();
        }
    }

    /** Maps {@code message}; never throws on message content. */
    public Outcome map(Message message) {
        if (!(message instanceof ORU_R01 oru)) {
            return new Unmappable(
                    new Reason(Reason.INVALID, "MSH-9", "only ORU^R01 results are mapped to ground truth"),
                    AcknowledgmentCode.AR,
                    ErrorCode.UNSUPPORTED_MESSAGE_TYPE);
        }
        try {
            return mapOru(oru);
        } catch (HL7Exception e) {
            // HAPI's message can quote field content: keep only the rule.
            return Unmappable.of(Reason.INVALID, "", "message structure cannot be read");
        }
    }

    private Outcome mapOru(ORU_R01 oru) throws HL7Exception {
        List<GroundTruth> events = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        for (ORU_R01_PATIENT_RESULT patient : oru.getPATIENT_RESULTAll()) {
            for (ORU_R01_ORDER_OBSERVATION order : patient.getORDER_OBSERVATIONAll()) {
                if (order.getOBR().isEmpty()) {
                    continue;
                }
                Segments at = new Segments(oru.getMSH(), order.getOBR(), null);
                Object result = mapOrder(order, at);
                if (result instanceof Unmappable u) {
                    return u;
                } else if (result instanceof GroundTruth gt) {
                    events.add(gt);
                } else {
                    ignored.add((String) result);
                }
            }
        }
        if (!events.isEmpty()) {
            return new Mapped(events);
        }
        if (!ignored.isEmpty()) {
            return new Ignored(ignored.getFirst());
        }
        return Unmappable.of(Reason.MISSING_FIELD, "OBR", "no OBR segment in the result");
    }

    /** A GroundTruth, an Unmappable, or a String saying why the order is ignored. */
    private Object mapOrder(ORU_R01_ORDER_OBSERVATION order, Segments at) throws HL7Exception {
        Hl7Mapping.Label label = mapping.label();
        Set<String> ids = Set.copyOf(label.observationIds());
        Integer value = null;
        OBX carrier = null;
        Unmappable unknownCode = null;
        for (ORU_R01_OBSERVATION observation : order.getOBSERVATIONAll()) {
            OBX obx = observation.getOBX();
            Segments here = at.with(obx);
            if (!ids.isEmpty() && !ids.contains(here.get("OBX-3-1"))) {
                continue;
            }
            String code = here.get(label.value());
            if (code.isEmpty()) {
                continue;
            }
            String system = here.get(label.codingSystem());
            Optional<Hl7Mapping.Code> match =
                    label.codes().stream().filter(c -> c.matches(system, code)).findFirst();
            if (match.isEmpty()) {
                if (!ids.isEmpty() && unknownCode == null) {
                    unknownCode = Unmappable.of(
                            Reason.UNKNOWN_ENUM,
                            label.value(),
                            "code and coding system are not in the label code table");
                }
                continue;
            }
            if (value != null && value != match.get().label()) {
                return Unmappable.of(
                        Reason.INVALID, label.value(), "observations of one order carry conflicting labels");
            }
            value = match.get().label();
            carrier = carrier == null ? obx : carrier;
        }
        Segments fields = carrier == null ? at : at.with(carrier);

        String status = fields.first(mapping.resultStatus());
        if (status.isEmpty()) {
            return Unmappable.of(Reason.MISSING_FIELD, String.join(",", mapping.resultStatus()), "no result status");
        }
        if (mapping.ignored().contains(status)) {
            return "result status " + status;
        }
        boolean isFinal = mapping.finalStatuses().contains(status);
        if (!isFinal && !mapping.corrected().contains(status)) {
            return Unmappable.of(
                    Reason.UNKNOWN_ENUM,
                    String.join(",", mapping.resultStatus()),
                    "result status is not among final_statuses, corrected_statuses or ignored_statuses");
        }

        String predictionId = fields.first(mapping.predictionId());
        if (predictionId.isEmpty()) {
            return Unmappable.of(
                    Reason.MISSING_FIELD, String.join(",", mapping.predictionId()), "no prediction id (accession)");
        }
        if (predictionId.length() > MAX_PREDICTION_ID) {
            return Unmappable.of(
                    Reason.OUT_OF_RANGE,
                    String.join(",", mapping.predictionId()),
                    "prediction id must be <= 128 characters");
        }
        if (value == null) {
            return unknownCode != null
                    ? unknownCode
                    : Unmappable.of(
                            Reason.UNKNOWN_ENUM,
                            label.value(),
                            "no observation carries a code of the label code table");
        }

        String observedField = fields.firstField(mapping.observedAt());
        if (observedField == null) {
            return Unmappable.of(Reason.MISSING_FIELD, String.join(",", mapping.observedAt()), "no observed time");
        }
        Optional<Instant> observedAt = parseDtm(fields.get(observedField), mapping);
        if (observedAt.isEmpty()) {
            return Unmappable.of(
                    Reason.BAD_TIMESTAMP, observedField, "must be an HL7 DTM, YYYYMMDD[HHMM[SS[.S]]][+/-ZZZZ]");
        }

        Hl7Mapping.Source source = mapping.source();
        String sourceValue = source.field() == null ? null : source.values().get(fields.get(source.field()));
        if (sourceValue == null) {
            sourceValue = source.fallback();
        }
        if (sourceValue == null) {
            return Unmappable.of(
                    Reason.UNKNOWN_ENUM, source.field(), "value is not in source.values and there is no default");
        }
        int revision = isFinal ? 0 : correctedRevision(observedAt.get());
        return new GroundTruth(predictionId, value, observedAt.get(), sourceValue, revision);
    }

    /** Revision of a corrected result observed at {@code observedAt}: seconds since {@link #REVISION_EPOCH}, at least 1. */
    static int correctedRevision(Instant observedAt) {
        long seconds = observedAt.getEpochSecond() - REVISION_EPOCH.getEpochSecond();
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, seconds));
    }

    /** An HL7 DTM (at least a date) as an instant; without an offset it is read in the mapping's zone. */
    static Optional<Instant> parseDtm(String value, Hl7Mapping mapping) {
        Matcher m = DTM.matcher(value);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            String fraction = m.group(7) == null ? "0" : (m.group(7) + "000000000").substring(0, 9);
            LocalDateTime local = LocalDateTime.of(
                    Integer.parseInt(m.group(1)),
                    Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)),
                    m.group(4) == null ? 0 : Integer.parseInt(m.group(4)),
                    m.group(5) == null ? 0 : Integer.parseInt(m.group(5)),
                    m.group(6) == null ? 0 : Integer.parseInt(m.group(6)),
                    Integer.parseInt(fraction));
            if (m.group(8) == null) {
                return Optional.of(ZonedDateTime.of(local, mapping.zone()).toInstant());
            }
            String offset = m.group(8);
            return Optional.of(local.toInstant(ZoneOffset.of(offset.substring(0, 3) + ":" + offset.substring(3))));
        } catch (java.time.DateTimeException e) {
            return Optional.empty();
        }
    }

    /** The MSH, OBR and (once chosen) OBX of one order, read by field name such as {@code OBR-3-1}. */
    private record Segments(Segment msh, Segment obr, Segment obx) {
        Segments with(Segment o) {
            return new Segments(msh, obr, o);
        }

        /** The value of {@code field}, or "" when absent (or its segment is not chosen yet). */
        String get(String field) throws HL7Exception {
            String[] parts = field.split("-");
            Segment segment = switch (parts[0]) {
                case "MSH" -> msh;
                case "OBR" -> obr;
                default -> obx;
            };
            if (segment == null) {
                return "";
            }
            int number = Integer.parseInt(parts[1]);
            int component = parts.length > 2 ? Integer.parseInt(parts[2]) : 1;
            int sub = parts.length > 3 ? Integer.parseInt(parts[3]) : 1;
            if (number > segment.numFields()) {
                return "";
            }
            String v = Terser.get(segment, number, 0, component, sub);
            return v == null ? "" : v.strip();
        }

        /** The first non-empty value of {@code fields}, or "". */
        String first(List<String> fields) throws HL7Exception {
            String f = firstField(fields);
            return f == null ? "" : get(f);
        }

        /** The first of {@code fields} with a non-empty value, or null. */
        String firstField(List<String> fields) throws HL7Exception {
            for (String f : fields) {
                if (!get(f).isEmpty()) {
                    return f;
                }
            }
            return null;
        }
    }
}
