package io.vigil.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.serde.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class EventValidatorTest {

    static final Instant NOW = Instant.parse("2026-11-22T00:00:00Z");
    static final String CANARY = "PHI-CANARY-12345";
    final EventValidator validator = new EventValidator();

    static ObjectNode minimalPrediction() throws Exception {
        return (ObjectNode) Json.mapper()
                .readTree(Path.of("../schemas/examples/prediction/valid/minimal.json")
                        .toFile());
    }

    static ObjectNode minimalGroundTruth() throws Exception {
        return (ObjectNode) Json.mapper()
                .readTree(Path.of("../schemas/examples/ground_truth/valid/minimal.json")
                        .toFile());
    }

    static byte[] bytes(ObjectNode node) throws Exception {
        return Json.mapper().writeValueAsBytes(node);
    }

    static Reason reason(Validation<?> v) {
        assertThat(v).as("%s", v).isInstanceOf(Validation.Rejected.class);
        return ((Validation.Rejected<?>) v).reason();
    }

    @Test
    void shouldNeverEchoAValueWhenRejecting() throws Exception {
        List<Consumer<ObjectNode>> seeds = List.of(
                n -> n.put("subject_key", CANARY).put("score", 7),
                n -> n.put("subject_key", CANARY).put("task", CANARY),
                n -> n.put("task", CANARY),
                n -> n.put("occurred_at", "2026-11-01T08:15:30Z" + CANARY),
                n -> n.put("occurred_at", CANARY),
                n -> n.put("score", CANARY),
                n -> n.put("score", "NaN" + CANARY),
                n -> n.put(CANARY, 1),
                n -> n.put("patient_name", CANARY),
                n -> n.putObject("features").put(CANARY + " name", 1.0),
                n -> n.putObject("features").put("kvp", CANARY),
                n -> n.putObject("attributes").put("contrast", CANARY + "x".repeat(80)),
                n -> n.putObject("demographics").put("sex", CANARY),
                n -> n.putObject("demographics").put("age_band", CANARY),
                n -> n.put("site", CANARY + "y".repeat(80)),
                n -> n.putObject("scanner").put("id", CANARY),
                n -> n.put("prediction_id", CANARY + "z".repeat(200)));
        for (Consumer<ObjectNode> seed : seeds) {
            ObjectNode record = minimalPrediction();
            seed.accept(record);

            Reason reason = reason(validator.prediction(bytes(record), NOW));

            assertThat(reason.toString())
                    .as("reason for %s", record)
                    .doesNotContain("CANARY")
                    .doesNotContain("12345");
        }
    }

    @Test
    void shouldNeverEchoAValueWhenJsonIsMalformed() {
        List<String> raws = List.of(
                "{\"subject_key\": \"" + CANARY + "\", \"score\": NaN}",
                "{\"subject_key\": \"" + CANARY + "\" \"score\": 1}",
                "{\"" + CANARY + "\": 1, \"" + CANARY + "\": 2}",
                CANARY,
                "{\"prediction_id\": \"p\"} " + CANARY);
        for (String raw : raws) {
            Reason reason = reason(validator.prediction(raw.getBytes(StandardCharsets.UTF_8), NOW));

            assertThat(reason.code()).isEqualTo(Reason.NOT_JSON);
            assertThat(reason.toString()).as("reason for %s", raw).doesNotContain("CANARY");
        }
    }

    @Test
    void shouldNeverEchoAValueWhenGroundTruthIsRejected() throws Exception {
        for (Consumer<ObjectNode> seed : List.<Consumer<ObjectNode>>of(
                n -> n.put("observed_at", CANARY),
                n -> n.put("label", CANARY),
                n -> n.put("source", CANARY + "s".repeat(80)),
                n -> n.put("patient_mrn", CANARY))) {
            ObjectNode record = minimalGroundTruth();
            seed.accept(record);

            assertThat(reason(validator.groundTruth(bytes(record), NOW)).toString())
                    .doesNotContain("CANARY");
        }
    }

    @Test
    void shouldRedactPropertyNameWhenItIsNotAnIdentifier() throws Exception {
        ObjectNode record = minimalPrediction();
        record.put("Jane Doe 1970-01-01", 1);

        Reason reason = reason(validator.prediction(bytes(record), NOW));

        assertThat(reason).isEqualTo(new Reason(Reason.ADDITIONAL_PROPERTY, "/*", "is not defined by the contract"));
    }

    @Test
    void shouldRejectAsOversizedWhenRecordExceedsLimitBeforeParsing() {
        EventValidator small = new EventValidator(100, EventValidator.DEFAULT_MAX_FUTURE_SKEW);
        byte[] notEvenJson = new byte[101];

        Reason reason = reason(small.prediction(notEvenJson, NOW));

        assertThat(reason.code()).isEqualTo(Reason.OVERSIZED);
        assertThat(reason.message()).isEqualTo("record exceeds 100 bytes");
    }

    @Test
    void shouldRejectAsOversizedWhenNestingExceedsReadLimit() {
        String deep = "{\"a\":".repeat(40) + "1" + "}".repeat(40);

        assertThat(reason(validator.prediction(deep.getBytes(StandardCharsets.UTF_8), NOW))
                        .code())
                .isEqualTo(Reason.OVERSIZED);
    }

    @Test
    void shouldAcceptEventTimeUpToTheSkewAndRejectBeyondIt() throws Exception {
        EventValidator v = new EventValidator(EventValidator.DEFAULT_MAX_BYTES, Duration.ofMinutes(5));
        ObjectNode atLimit = minimalPrediction().put("occurred_at", "2026-11-22T00:05:00Z");
        ObjectNode beyond = minimalPrediction().put("occurred_at", "2026-11-22T00:05:00.001Z");

        assertThat(v.prediction(bytes(atLimit), NOW).accepted()).isTrue();
        assertThat(reason(v.prediction(bytes(beyond), NOW)))
                .isEqualTo(new Reason(
                        Reason.FUTURE_TIMESTAMP,
                        "/occurred_at",
                        "must not be more than PT5M after the processing time"));
    }

    @Test
    void shouldRejectGroundTruthWhenObservedInTheFuture() throws Exception {
        ObjectNode gt = minimalGroundTruth().put("observed_at", "2026-11-22T00:05:01Z");

        assertThat(reason(validator.groundTruth(bytes(gt), NOW)).code()).isEqualTo(Reason.FUTURE_TIMESTAMP);
    }

    @Test
    void shouldReturnTypedRecordWhenPredictionIsValid() throws Exception {
        Validation<Prediction> result = validator.prediction(
                Files.readAllBytes(Path.of("../schemas/examples/prediction/valid/full.json")), NOW);

        assertThat(result).isInstanceOf(Validation.Accepted.class);
        Prediction p = ((Validation.Accepted<Prediction>) result).value();
        assertThat(p.score()).isEqualTo(0.12);
        assertThat(p.occurredAt()).isEqualTo(Instant.parse("2026-11-01T08:16:02.125Z"));
        assertThat(p.features()).containsEntry("kvp", 120.0).hasSize(5);
        assertThat(p.demographics().ageBand()).isEqualTo("60-69");
    }

    @Test
    void shouldNormalizeOffsetToUtcWhenTimestampHasOffset() throws Exception {
        ObjectNode gt = minimalGroundTruth().put("observed_at", "2026-11-19T16:02:00+02:00");

        Validation<GroundTruth> result = validator.groundTruth(bytes(gt), NOW);

        assertThat(((Validation.Accepted<GroundTruth>) result).value().observedAt())
                .isEqualTo(Instant.parse("2026-11-19T14:02:00Z"));
    }

    @Test
    void shouldRejectEmptyOrNullBytesWhenTombstoneArrives() {
        assertThat(reason(validator.prediction(null, NOW)).code()).isEqualTo(Reason.NOT_JSON);
        assertThat(reason(validator.groundTruth(new byte[0], NOW)).code()).isEqualTo(Reason.NOT_JSON);
        assertThat(reason(validator.groundTruth("   ".getBytes(StandardCharsets.UTF_8), NOW))
                        .code())
                .isEqualTo(Reason.NOT_JSON);
    }

    @Test
    void shouldRefuseUnknownCodeWhenReasonIsBuilt() {
        assertThatThrownBy(() -> new Reason("patient-42", "", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Reason.CODES).hasSize(14).allMatch(c -> c.matches("[a-z_]+"));
    }

    @Test
    void shouldRefuseNonPositiveLimitsWhenConstructed() {
        assertThatThrownBy(() -> new EventValidator(0, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new EventValidator(10, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRejectANumberBeyondDoubleRangeInsteadOfThrowing() {
        // Found by ContractFuzzTest: 1e400 parsed to an infinite double and the schema's enum check threw
        // NumberFormatException out of ingest.
        String label = "{\"prediction_id\":\"p\",\"label\":1e400,\"observed_at\":\"2026-11-19T14:02:00Z\","
                + "\"source\":\"pathology\",\"revision\":0}";
        Validation<?> v = new EventValidator()
                .groundTruth(
                        label.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        java.time.Instant.parse("2026-12-01T00:00:00Z"));
        assertThat(v).isInstanceOf(Validation.Rejected.class);
        assertThat(((Validation.Rejected<?>) v).reason().code()).isEqualTo(Reason.OUT_OF_RANGE);
        assertThat(((Validation.Rejected<?>) v).reason().path()).isEqualTo("/label");
    }
}
