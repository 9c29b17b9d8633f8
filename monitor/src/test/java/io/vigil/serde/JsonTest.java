package io.vigil.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.vigil.events.GroundTruth;
import io.vigil.events.MetricSnapshot;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    record Sample(double x, Double y, Map<String, Double> m, Instant at) {}

    @Test
    void shouldWriteInstantAsRfc3339StringWhenSerializing() throws Exception {
        String json =
                Json.mapper().writeValueAsString(new Sample(1, null, null, Instant.parse("2026-11-01T08:15:30.125Z")));

        assertThat(json).contains("\"at\":\"2026-11-01T08:15:30.125Z\"");
    }

    @Test
    void shouldRejectNanWhenReadFromStringOrToken() {
        assertThatThrownBy(() -> Json.mapper().readValue("{\"x\":\"NaN\"}", Sample.class))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> Json.mapper().readValue("{\"x\":1,\"y\":\"Infinity\"}", Sample.class))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> Json.mapper().readValue("{\"x\":NaN}", Sample.class))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> Json.mapper().readValue("{\"x\":1e400}", Sample.class))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> Json.mapper().readValue("{\"x\":1,\"m\":{\"a\":\"NaN\"}}", Sample.class))
                .isInstanceOf(IOException.class);
    }

    @Test
    void shouldRejectNonFiniteWhenWriting() {
        assertThatThrownBy(() -> Json.mapper().writeValueAsString(new Sample(Double.NaN, null, null, null)))
                .isInstanceOf(JsonMappingException.class);
        assertThatThrownBy(() -> Json.mapper().writeValueAsString(new Sample(0, Double.POSITIVE_INFINITY, null, null)))
                .isInstanceOf(JsonMappingException.class);
        assertThatThrownBy(() -> Json.mapper().writeValueAsString(new Sample(0, null, Map.of("a", Double.NaN), null)))
                .isInstanceOf(JsonMappingException.class);
    }

    @Test
    void shouldRejectCoercionWhenNumberArrivesAsStringOrFloatForInt() {
        assertThatThrownBy(() -> Json.mapper().readValue("{\"x\":\"0.5\"}", Sample.class))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> Json.mapper()
                        .readValue(
                                "{\"prediction_id\":\"p\",\"label\":1.0,\"observed_at\":\"2026-11-01T00:00:00Z\",\"source\":\"s\",\"revision\":0}",
                                GroundTruth.class))
                .isInstanceOf(IOException.class);
    }

    @Test
    void shouldRejectMissingPrimitiveWhenAbsent() {
        assertThatThrownBy(() -> Json.mapper()
                        .readValue(
                                "{\"prediction_id\":\"p\",\"observed_at\":\"2026-11-01T00:00:00Z\",\"source\":\"s\",\"revision\":0}",
                                GroundTruth.class))
                .isInstanceOf(IOException.class);
    }

    @Test
    void shouldRejectUnknownPropertyWhenReading() {
        assertThatThrownBy(() -> Json.mapper().readValue("{\"x\":1,\"zz\":2}", Sample.class))
                .isInstanceOf(UnrecognizedPropertyException.class);
    }

    @Test
    void shouldEnforceReadLimitsWhenInputIsHostile() {
        String deep = "[".repeat(Json.MAX_NESTING_DEPTH + 1) + "]".repeat(Json.MAX_NESTING_DEPTH + 1);
        String longNumber = "{\"x\":1" + "0".repeat(Json.MAX_NUMBER_LENGTH) + "}";

        assertThatThrownBy(() -> Json.mapper().readTree(deep)).isInstanceOf(StreamConstraintsException.class);
        assertThatThrownBy(() -> Json.mapper().readValue(longNumber, Sample.class))
                .isInstanceOf(StreamConstraintsException.class);
    }

    @Test
    void shouldWriteMapsSortedWhenSerializing() throws Exception {
        String json = Json.mapper().writeValueAsString(new Sample(0, null, Map.of("b", 2.0, "a", 1.0, "c", 3.0), null));

        assertThat(json).contains("\"m\":{\"a\":1.0,\"b\":2.0,\"c\":3.0}");
    }

    @Test
    void shouldDescribeFailureWithoutValueWhenMappingFails() {
        IOException e = catchIo(() -> Json.mapper()
                .readValue(
                        "{\"model\":\"m\",\"version\":\"v\",\"slice_dimension\":\"all\",\"slice_value\":\"all\",\"window\":\"7d\","
                                + "\"metric\":\"x\",\"n\":\"PHI-CANARY\",\"status\":\"final\",\"computed_at\":\"2026-11-01T00:00:00Z\"}",
                        MetricSnapshot.class));

        assertThat(e.getMessage()).contains("PHI-CANARY");
        assertThat(Json.describe(e)).isEqualTo("wrong type or missing value at /n (expected long)");
    }

    @Test
    void shouldRedactPointerSegmentWhenNotAnIdentifier() {
        assertThat(SafePointer.of("/features/kvp")).isEqualTo("/features/kvp");
        assertThat(SafePointer.of("/features/Jane Doe")).isEqualTo("/features/*");
        assertThat(SafePointer.of("/a~1b/0")).isEqualTo("/*/0");
        assertThat(SafePointer.of("")).isEmpty();
    }

    interface IoCall {
        void run() throws IOException;
    }

    static IOException catchIo(IoCall call) {
        try {
            call.run();
        } catch (IOException e) {
            return e;
        }
        throw new AssertionError("expected an IOException");
    }
}
