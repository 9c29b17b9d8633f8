package io.vigil.adapters.hl7;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.hl7v2.AcknowledgmentCode;
import ca.uhn.hl7v2.ErrorCode;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.model.Message;
import io.vigil.events.GroundTruth;
import io.vigil.events.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OruMapperTest {
    private static HapiContext context;
    private final OruMapper mapper = new OruMapper(Hl7Mapping.defaults());

    @BeforeAll
    static void parser() {
        context = Hl7Listener.newContext();
    }

    @AfterAll
    static void close() throws IOException {
        context.close();
    }

    private static Message parse(OruMessages m) throws Exception {
        return context.getPipeParser().parse(m.build());
    }

    private OruMapper.Outcome map(OruMessages m) throws Exception {
        return mapper.map(parse(m));
    }

    private List<GroundTruth> mapped(OruMessages m) throws Exception {
        OruMapper.Outcome outcome = map(m);
        assertThat(outcome).isInstanceOf(OruMapper.Mapped.class);
        return ((OruMapper.Mapped) outcome).events();
    }

    private OruMapper.Unmappable unmappable(OruMessages m) throws Exception {
        OruMapper.Outcome outcome = map(m);
        assertThat(outcome).isInstanceOf(OruMapper.Unmappable.class);
        OruMapper.Unmappable u = (OruMapper.Unmappable) outcome;
        // Reasons go into logs' neighbours, ACKs and dead-letter headers: never patient data.
        assertThat(u.text()).doesNotContain("ACC-0001", "PLC-0001", "DOE", "MRN", "2026");
        return u;
    }

    @Test
    void shouldMapAFinalResultToRevisionZeroWhenStatusIsF() throws Exception {
        assertThat(mapped(OruMessages.finalPositive()))
                .containsExactly(
                        new GroundTruth("ACC-0001", 1, Instant.parse("2026-11-19T14:02:00Z"), "radiology_report", 0));
    }

    @Test
    void shouldMapTheNegativeCodeToLabelZeroAndPathologyWhenTheSectionIsSurgicalPathology() throws Exception {
        GroundTruth gt = mapped(OruMessages.finalPositive().obr(24, "SP").obx(5, "260385009^Negative^SCT"))
                .getFirst();
        assertThat(gt.label()).isZero();
        assertThat(gt.source()).isEqualTo("pathology");
    }

    @Test
    void shouldUseTheDefaultSourceWhenTheSectionIsNotInTheTable() throws Exception {
        assertThat(mapped(OruMessages.finalPositive().obr(24, "")).getFirst().source())
                .isEqualTo("hl7");
    }

    @Test
    void shouldReadTheOffsetWhenTheTimestampHasOne() throws Exception {
        assertThat(mapped(OruMessages.finalPositive().obr(22, "20261119150200.5+0100"))
                        .getFirst()
                        .observedAt())
                .isEqualTo(Instant.parse("2026-11-19T14:02:00.5Z"));
    }

    @Test
    void shouldReadTimestampsWithoutOffsetInTheMappingsZone(@TempDir Path dir) throws Exception {
        String json = Files.readString(Path.of("src/main/resources/io/vigil/adapters/hl7/default-mapping.json"))
                .replace("\"time_zone\": \"UTC\"", "\"time_zone\": \"Europe/Berlin\"");
        Path file = Files.writeString(dir.resolve("mapping.json"), json);
        OruMapper berlin = new OruMapper(Hl7Mapping.load(file));
        OruMapper.Mapped m = (OruMapper.Mapped) berlin.map(parse(OruMessages.finalPositive()));
        assertThat(m.events().getFirst().observedAt()).isEqualTo(Instant.parse("2026-11-19T13:02:00Z"));
    }

    @Test
    void shouldFallBackToTheNextObservedTimeFieldWhenOBR22IsEmpty() throws Exception {
        assertThat(mapped(OruMessages.finalPositive().obr(22, "")).getFirst().observedAt())
                .isEqualTo(Instant.parse("2026-11-19T14:00:00Z"));
    }

    @Test
    void shouldFallBackToThePlacerNumberWhenTheFillerNumberIsEmpty() throws Exception {
        assertThat(mapped(OruMessages.finalPositive().obr(3, "")).getFirst().predictionId())
                .isEqualTo("PLC-0001");
    }

    @Test
    void shouldMapACorrectionToARevisionAboveZeroAndALaterCorrectionHigherStill() throws Exception {
        GroundTruth first = mapped(
                        OruMessages.finalPositive().corrected("20261120100000").obx(5, "260385009^Negative^SCT"))
                .getFirst();
        GroundTruth second =
                mapped(OruMessages.finalPositive().corrected("20261121100000")).getFirst();
        long expected = Instant.parse("2026-11-20T10:00:00Z").getEpochSecond()
                - Instant.parse("2000-01-01T00:00:00Z").getEpochSecond();
        assertThat(first.revision()).isEqualTo((int) expected);
        assertThat(first.label()).isZero();
        assertThat(second.revision()).isEqualTo(first.revision() + 86_400);
    }

    @Test
    void shouldIgnoreAPreliminaryResultWhenStatusIsP() throws Exception {
        assertThat(map(OruMessages.finalPositive().obr(25, "P").obx(11, "P")))
                .isEqualTo(new OruMapper.Ignored("result status P"));
    }

    @Test
    void shouldTakeTheStatusOfTheLabelObservationBeforeTheOrders() throws Exception {
        // OBX-11 comes first in result_status: a corrected observation under a final order is a correction.
        assertThat(mapped(OruMessages.finalPositive().obx(11, "C")).getFirst().revision())
                .isPositive();
    }

    @Test
    void shouldRejectWithAEWhenThereIsNoPredictionId() throws Exception {
        OruMapper.Unmappable u =
                unmappable(OruMessages.finalPositive().obr(2, "").obr(3, ""));
        assertThat(u.reason())
                .isEqualTo(new Reason(Reason.MISSING_FIELD, "OBR-3-1,OBR-2-1", "no prediction id (accession)"));
        assertThat(u.ack()).isEqualTo(AcknowledgmentCode.AE);
        assertThat(u.error()).isEqualTo(ErrorCode.REQUIRED_FIELD_MISSING);
    }

    @Test
    void shouldRejectWithAEWhenTheCodeIsNotInTheTable() throws Exception {
        OruMapper.Unmappable u = unmappable(OruMessages.finalPositive().obx(5, "399999999^Something^SCT"));
        assertThat(u.reason().code()).isEqualTo(Reason.UNKNOWN_ENUM);
        assertThat(u.reason().path()).isEqualTo("OBX-5-1");
        assertThat(u.ack()).isEqualTo(AcknowledgmentCode.AE);
        assertThat(u.error()).isEqualTo(ErrorCode.TABLE_VALUE_NOT_FOUND);
    }

    @Test
    void shouldRejectWhenTheCodeIsKnownButItsCodingSystemIsNot() throws Exception {
        assertThat(unmappable(OruMessages.finalPositive().obx(5, "10828004^Positive^LN"))
                        .reason()
                        .code())
                .isEqualTo(Reason.UNKNOWN_ENUM);
    }

    @Test
    void shouldRejectWhenTwoObservationsOfOneOrderCarryConflictingLabels() throws Exception {
        OruMapper.Unmappable u =
                unmappable(OruMessages.finalPositive().addObx("FINDING2^Second^L", "CWE", "260385009^Negative^SCT"));
        assertThat(u.reason().code()).isEqualTo(Reason.INVALID);
        assertThat(u.reason().message()).contains("conflicting");
    }

    @Test
    void shouldTakeTheCodedObservationWhenOthersAreText() throws Exception {
        assertThat(mapped(OruMessages.finalPositive().addObx("IMPRESSION^Impression^L", "TX", "No change"))
                        .getFirst()
                        .label())
                .isEqualTo(1);
    }

    @Test
    void shouldRejectABadTimestampNamingTheField() throws Exception {
        OruMapper.Unmappable u = unmappable(OruMessages.finalPositive().obr(22, "2026-11-19"));
        assertThat(u.reason().code()).isEqualTo(Reason.BAD_TIMESTAMP);
        assertThat(u.reason().path()).isEqualTo("OBR-22");
        assertThat(u.error()).isEqualTo(ErrorCode.DATA_TYPE_ERROR);
    }

    @Test
    void shouldRejectAnUnknownResultStatus() throws Exception {
        assertThat(unmappable(OruMessages.finalPositive().obr(25, "D").obx(11, "D"))
                        .reason()
                        .code())
                .isEqualTo(Reason.UNKNOWN_ENUM);
    }

    @Test
    void shouldRejectWithARWhenTheMessageIsNotAnOruR01() throws Exception {
        OruMapper.Unmappable u = unmappable(OruMessages.finalPositive().msh(9, "ADT^A01^ADT_A01"));
        assertThat(u.ack()).isEqualTo(AcknowledgmentCode.AR);
        assertThat(u.error()).isEqualTo(ErrorCode.UNSUPPORTED_MESSAGE_TYPE);
    }

    @Test
    void shouldMapAnOlderVersionThroughTheV251Structures() throws Exception {
        assertThat(mapped(OruMessages.finalPositive().msh(12, "2.3").obx(2, "CE"))
                        .getFirst()
                        .predictionId())
                .isEqualTo("ACC-0001");
    }

    @Test
    void shouldRefuseAMappingWithAFieldThatIsNotMshObrOrObx(@TempDir Path dir) throws Exception {
        String json = Files.readString(Path.of("src/main/resources/io/vigil/adapters/hl7/default-mapping.json"))
                .replace("\"OBR-3-1\"", "\"PID-3-1\"");
        Path file = Files.writeString(dir.resolve("mapping.json"), json);
        assertThatThrownBy(() -> Hl7Mapping.load(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prediction_id must name a field");
    }

    @Test
    void shouldRefuseAMappingWithAnUnknownProperty(@TempDir Path dir) throws Exception {
        String json = Files.readString(Path.of("src/main/resources/io/vigil/adapters/hl7/default-mapping.json"))
                .replace("\"time_zone\": \"UTC\",", "\"time_zone\": \"UTC\", \"timezone\": \"UTC\",");
        Path file = Files.writeString(dir.resolve("mapping.json"), json);
        assertThatThrownBy(() -> Hl7Mapping.load(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown property");
    }

    @Test
    void shouldMapTheExampleInTheDocsToTheEventTheDocsShow() throws Exception {
        String doc = Files.readString(Path.of("../docs/adapters.md"));
        String example = doc.substring(doc.indexOf("### Example"));
        String[] blocks = example.split("```");
        String er7 = blocks[1].strip().replace("\n", "\r") + "\r";
        String json = blocks[3].replaceFirst("^json", "").strip();
        GroundTruth expected =
                io.vigil.serde.Json.reader().forType(GroundTruth.class).readValue(json);
        OruMapper.Outcome outcome = mapper.map(context.getPipeParser().parse(er7));
        assertThat(outcome).isEqualTo(new OruMapper.Mapped(List.of(expected)));
    }

    @Test
    void shouldMapTheDefaultMessageOfTheseTestsLikeTheDocsExample() throws Exception {
        // The docs' example and OruMessages' default are the same message: the IT's expectations follow the docs.
        String doc = Files.readString(Path.of("../docs/adapters.md"));
        String er7 = doc.substring(doc.indexOf("### Example"))
                        .split("```")[1]
                        .strip()
                        .replace("\n", "\r") + "\r";
        assertThat(mapper.map(context.getPipeParser().parse(er7))).isEqualTo(map(OruMessages.finalPositive()));
    }
}
