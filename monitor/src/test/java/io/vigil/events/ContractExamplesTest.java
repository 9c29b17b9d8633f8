package io.vigil.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NumericNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.vigil.events.EventValidator.EventType;
import io.vigil.serde.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves the examples under schemas/examples: every valid one is accepted and round-trips through
 * its record; every invalid one is rejected for the reason its file name states.
 */
class ContractExamplesTest {

    static final Path SCHEMAS = Path.of("..", "schemas");
    static final Instant NOW = Instant.parse("2026-11-22T00:00:00Z");
    static final EventValidator VALIDATOR = new EventValidator();

    /** File name -> expected (code, path). Every invalid example must be listed and vice versa. */
    static final Map<EventType, Map<String, Expect>> EXPECTED = Map.of(
            EventType.PREDICTION,
                    Map.ofEntries(
                            e("missing-prediction_id", Reason.MISSING_FIELD, "/prediction_id"),
                            e("missing-occurred_at", Reason.MISSING_FIELD, "/occurred_at"),
                            e("missing-scanner-software_version", Reason.MISSING_FIELD, "/scanner/software_version"),
                            e("missing-model-version", Reason.MISSING_FIELD, "/model/version"),
                            e("score-above-1", Reason.OUT_OF_RANGE, "/score"),
                            e("score-below-0", Reason.OUT_OF_RANGE, "/score"),
                            e("score-nan", Reason.WRONG_TYPE, "/score"),
                            e("score-nan-token", Reason.NOT_JSON, ""),
                            e("score-infinite", Reason.OUT_OF_RANGE, "/score"),
                            e("score-null", Reason.WRONG_TYPE, "/score"),
                            e("wrong-type-score", Reason.WRONG_TYPE, "/score"),
                            e("threshold-above-1", Reason.OUT_OF_RANGE, "/threshold"),
                            e("uncertainty-above-1", Reason.OUT_OF_RANGE, "/uncertainty"),
                            e("unknown-task", Reason.UNKNOWN_ENUM, "/task"),
                            e("predicted_label-2", Reason.UNKNOWN_ENUM, "/predicted_label"),
                            e("abstained-string", Reason.WRONG_TYPE, "/abstained"),
                            e("additional-property", Reason.ADDITIONAL_PROPERTY, "/patient_name"),
                            e(
                                    "additional-property-scanner-serial",
                                    Reason.ADDITIONAL_PROPERTY,
                                    "/scanner/serial_number"),
                            e("bad-timestamp", Reason.BAD_TIMESTAMP, "/occurred_at"),
                            e("timestamp-without-offset", Reason.BAD_TIMESTAMP, "/occurred_at"),
                            e("timestamp-leap-second", Reason.BAD_TIMESTAMP, "/occurred_at"),
                            e("timestamp-lowercase", Reason.BAD_TIMESTAMP, "/occurred_at"),
                            e("timestamp-february-29-non-leap-year", Reason.BAD_TIMESTAMP, "/occurred_at"),
                            e("timestamp-epoch-number", Reason.WRONG_TYPE, "/occurred_at"),
                            e("future-timestamp", Reason.FUTURE_TIMESTAMP, "/occurred_at"),
                            e("sex-unknown-value", Reason.UNKNOWN_ENUM, "/demographics/sex"),
                            e("age_band-pattern", Reason.INVALID, "/demographics/age_band"),
                            e("prediction_id-too-long", Reason.OUT_OF_RANGE, "/prediction_id"),
                            e("prediction_id-empty", Reason.OUT_OF_RANGE, "/prediction_id"),
                            e("site-too-long", Reason.OUT_OF_RANGE, "/site"),
                            e("features-string-value", Reason.WRONG_TYPE, "/features/kvp"),
                            e("features-too-many", Reason.OUT_OF_RANGE, "/features"),
                            e("features-bad-name", Reason.INVALID, "/features"),
                            e("attributes-value-too-long", Reason.OUT_OF_RANGE, "/attributes/contrast"),
                            e("attributes-number-value", Reason.WRONG_TYPE, "/attributes/contrast"),
                            e("model-wrong-type", Reason.WRONG_TYPE, "/model"),
                            e("not-an-object", Reason.WRONG_TYPE, ""),
                            e("not-json", Reason.NOT_JSON, ""),
                            e("duplicate-key", Reason.NOT_JSON, ""),
                            e("trailing-garbage", Reason.NOT_JSON, ""),
                            e("empty", Reason.NOT_JSON, "")),
            EventType.GROUND_TRUTH,
                    Map.ofEntries(
                            e("missing-prediction_id", Reason.MISSING_FIELD, "/prediction_id"),
                            e("missing-label", Reason.MISSING_FIELD, "/label"),
                            e("missing-revision", Reason.MISSING_FIELD, "/revision"),
                            e("label-2", Reason.UNKNOWN_ENUM, "/label"),
                            e("label-string", Reason.WRONG_TYPE, "/label"),
                            e("label-fraction", Reason.WRONG_TYPE, "/label"),
                            e("revision-negative", Reason.OUT_OF_RANGE, "/revision"),
                            e("revision-fraction", Reason.WRONG_TYPE, "/revision"),
                            e("revision-too-large", Reason.OUT_OF_RANGE, "/revision"),
                            e("bad-timestamp", Reason.BAD_TIMESTAMP, "/observed_at"),
                            e("future-timestamp", Reason.FUTURE_TIMESTAMP, "/observed_at"),
                            e("source-empty", Reason.OUT_OF_RANGE, "/source"),
                            e("source-too-long", Reason.OUT_OF_RANGE, "/source"),
                            e("additional-property", Reason.ADDITIONAL_PROPERTY, "/patient_mrn"),
                            e("prediction_id-number", Reason.WRONG_TYPE, "/prediction_id")),
            EventType.ALERT,
                    Map.ofEntries(
                            e("missing-fingerprint", Reason.MISSING_FIELD, "/fingerprint"),
                            e("missing-observed-n", Reason.MISSING_FIELD, "/observed/n"),
                            e("unknown-status", Reason.UNKNOWN_ENUM, "/status"),
                            e("unknown-severity", Reason.UNKNOWN_ENUM, "/severity"),
                            e("p_value-above-1", Reason.OUT_OF_RANGE, "/observed/p_value"),
                            e("n-negative", Reason.OUT_OF_RANGE, "/observed/n"),
                            e("bad-timestamp", Reason.BAD_TIMESTAMP, "/started_at"),
                            e("additional-property", Reason.ADDITIONAL_PROPERTY, "/subject_key"),
                            e("summary-too-long", Reason.OUT_OF_RANGE, "/summary")),
            EventType.INCIDENT,
                    Map.ofEntries(
                            e("missing-root", Reason.MISSING_FIELD, "/root"),
                            e("unknown-transition", Reason.UNKNOWN_ENUM, "/transition"),
                            e("unknown-role", Reason.UNKNOWN_ENUM, "/alerts/0/role"),
                            e("additional-property", Reason.ADDITIONAL_PROPERTY, "/accession_number"),
                            e("bad-timestamp", Reason.BAD_TIMESTAMP, "/first_detected"),
                            e("empty-alerts", Reason.INVALID, "/alerts")),
            EventType.METRIC_SNAPSHOT,
                    Map.ofEntries(
                            e("missing-metric", Reason.MISSING_FIELD, "/metric"),
                            e("unknown-status", Reason.UNKNOWN_ENUM, "/status"),
                            e("n-negative", Reason.OUT_OF_RANGE, "/n"),
                            e("n-fraction", Reason.WRONG_TYPE, "/n"),
                            e("p_value-above-1", Reason.OUT_OF_RANGE, "/p_value"),
                            e("estimate-string", Reason.WRONG_TYPE, "/estimate"),
                            e("bad-timestamp", Reason.BAD_TIMESTAMP, "/computed_at"),
                            e("slice_value-too-long", Reason.OUT_OF_RANGE, "/slice_value"),
                            e("additional-property", Reason.ADDITIONAL_PROPERTY, "/prediction_id")),
            EventType.REFERENCE_PROFILE,
                    Map.ofEntries(
                            e("missing-source", Reason.MISSING_FIELD, "/source"),
                            e("unknown-source", Reason.UNKNOWN_ENUM, "/source"),
                            e("additional-property", Reason.ADDITIONAL_PROPERTY, "/subject_key"),
                            e("positives-negative", Reason.OUT_OF_RANGE, "/positives"),
                            e("kll-not-base64", Reason.INVALID, "/score/kll"),
                            e("distribution-without-values", Reason.MISSING_FIELD, "/score/histogram")));

    record Expect(String code, String path) {}

    static Map.Entry<String, Expect> e(String name, String code, String path) {
        return Map.entry(name + ".json", new Expect(code, path));
    }

    static List<Path> files(EventType type, String kind) {
        try (Stream<Path> s = Files.list(
                SCHEMAS.resolve("examples").resolve(type.schemaName()).resolve(kind))) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<Arguments> valid() {
        return Stream.of(EventType.values())
                .flatMap(t -> files(t, "valid").stream().map(p -> Arguments.of(t, p)));
    }

    static Stream<Arguments> invalid() {
        return Stream.of(EventType.values())
                .flatMap(t -> files(t, "invalid").stream().map(p -> Arguments.of(t, p)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("valid")
    void shouldAcceptWhenExampleIsValid(EventType type, Path file) throws IOException {
        Validation<?> result = VALIDATOR.validate(type, Files.readAllBytes(file), NOW);

        assertThat(result).as("%s", result).isInstanceOf(Validation.Accepted.class);
        assertThat(((Validation.Accepted<?>) result).value()).isInstanceOf(type.recordType());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("valid")
    void shouldRoundTripRecordWhenExampleIsValid(EventType type, Path file) throws IOException {
        JsonNode original = Json.mapper().readTree(file.toFile());

        Object record = Json.mapper().treeToValue(original, type.recordType());
        JsonNode written = Json.mapper().readTree(Json.mapper().writeValueAsBytes(record));

        assertThat(written.equals(SEMANTIC, withoutEmptyMaps(original)))
                .as("round trip of %s:%n  in:  %s%n  out: %s", file, original, written)
                .isTrue();
        // And the written form itself satisfies the contract.
        assertThat(EventValidator.schema(type).validate(written)).isEmpty();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("invalid")
    void shouldRejectForTheStatedReasonWhenExampleIsInvalid(EventType type, Path file) throws IOException {
        Expect expect = EXPECTED.get(type).get(file.getFileName().toString());
        assertThat(expect).as("no expectation for %s", file).isNotNull();

        Validation<?> result = VALIDATOR.validate(type, Files.readAllBytes(file), NOW);

        assertThat(result).as("%s", result).isInstanceOf(Validation.Rejected.class);
        Reason reason = ((Validation.Rejected<?>) result).reason();
        assertThat(reason.code()).as("%s", reason).isEqualTo(expect.code());
        assertThat(reason.path()).as("%s", reason).isEqualTo(expect.path());
        assertThat(reason.message()).isNotBlank().doesNotContainIgnoringCase("phi-canary");
    }

    @ParameterizedTest
    @EnumSource(EventType.class)
    void shouldListExactlyTheInvalidExamplesWhenExpectationsAreDeclared(EventType type) {
        Set<String> onDisk = files(type, "invalid").stream()
                .map(p -> p.getFileName().toString())
                .collect(Collectors.toCollection(TreeSet::new));

        assertThat(onDisk).isEqualTo(new TreeSet<>(EXPECTED.get(type).keySet()));
        assertThat(files(type, "valid")).hasSizeGreaterThanOrEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(EventType.class)
    void shouldServeTheRepositorySchemaWhenLoadedFromClasspath(EventType type) throws IOException {
        byte[] onDisk = Files.readAllBytes(SCHEMAS.resolve(type.schemaName() + ".schema.json"));
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(type.resource())) {
            assertThat(in).as(type.resource()).isNotNull();
            assertThat(in.readAllBytes()).isEqualTo(onDisk);
        }
    }

    @ParameterizedTest
    @EnumSource(EventType.class)
    void shouldDescribeEveryFieldWhenSchemaIsDeclared(EventType type) throws IOException {
        JsonNode schema = Json.mapper()
                .readTree(SCHEMAS.resolve(type.schemaName() + ".schema.json").toFile());

        assertThat(schema.path("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
        assertThat(schema.path("$id").asText())
                .isEqualTo(EventValidator.SCHEMA_ID_BASE + type.schemaName() + ".schema.json");
        assertThat(schema.path("title").asText()).isNotBlank();
        assertThat(schema.path("additionalProperties").isBoolean()).isTrue();
        assertThat(schema.path("additionalProperties").asBoolean()).isFalse();
        List<String> problems = new ArrayList<>();
        checkProperties(schema, "", problems);
        assertThat(problems).isEmpty();
    }

    /** Every property has a description; every string has a maxLength or an enum. */
    private static void checkProperties(JsonNode node, String at, List<String> problems) {
        if (node.isObject()) {
            JsonNode properties = node.get("properties");
            if (properties != null) {
                properties.fields().forEachRemaining(p -> {
                    JsonNode def = p.getValue();
                    if (!def.has("description") && !def.has("$ref")) {
                        problems.add(at + "/" + p.getKey() + ": no description");
                    }
                });
            }
            if ("string".equals(node.path("type").asText()) && !node.has("maxLength") && !node.has("enum")) {
                problems.add(at + ": string without maxLength");
            }
            node.fields().forEachRemaining(f -> checkProperties(f.getValue(), at + "/" + f.getKey(), problems));
        }
    }

    @Test
    void shouldRecognizeNoSchemaErrorWhenRecordWrittenFromJava() throws IOException {
        Prediction p = new Prediction(
                "p-9",
                NOW,
                new ModelRef("m", "1"),
                "binary",
                0.3,
                0.5,
                null,
                "S01",
                new Scanner("CT-1", "GE", "Revolution", "1.0", null, null),
                null,
                null,
                null,
                null,
                null,
                null,
                null);

        JsonNode written = Json.mapper().readTree(Json.mapper().writeValueAsBytes(p));

        assertThat(EventValidator.schema(EventType.PREDICTION).validate(written))
                .isEmpty();
        assertThat(written.has("features")).isFalse();
        assertThat(written.get("occurred_at").asText()).isEqualTo("2026-11-22T00:00:00Z");
    }

    /** Empty maps are written as absent (records normalise absent maps to empty). */
    private static JsonNode withoutEmptyMaps(JsonNode node) {
        JsonNode copy = node.deepCopy();
        if (copy.isObject()) {
            for (String name : List.of("features", "attributes")) {
                if (copy.path(name).isObject() && copy.path(name).isEmpty()) {
                    ((com.fasterxml.jackson.databind.node.ObjectNode) copy).remove(name);
                }
            }
        }
        return copy;
    }

    /** Numbers compare by value (1 == 1.0); strings that are both timestamps compare as instants. */
    static final Comparator<JsonNode> SEMANTIC = (a, b) -> {
        if (a.equals(b)) {
            return 0;
        }
        if (a instanceof NumericNode && b instanceof NumericNode) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        if (a instanceof TextNode && b instanceof TextNode) {
            try {
                return Instant.parse(a.asText()).compareTo(Instant.parse(b.asText()));
            } catch (DateTimeParseException notInstants) {
                try {
                    return java.time.OffsetDateTime.parse(a.asText())
                            .toInstant()
                            .compareTo(
                                    java.time.OffsetDateTime.parse(b.asText()).toInstant());
                } catch (DateTimeParseException notTimestamps) {
                    return 1;
                }
            }
        }
        return 1;
    };
}
