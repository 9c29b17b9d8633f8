package io.vigil.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.events.GroundTruth;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class JsonSerdeTest {

    final JsonSerde<GroundTruth> serde = JsonSerde.of(GroundTruth.class);
    final GroundTruth truth = new GroundTruth("p-1", 1, Instant.parse("2026-11-19T14:02:00Z"), "pathology", 2);

    @Test
    void shouldRoundTripRecordWhenSerializedAndDeserialized() {
        byte[] bytes = serde.serializer().serialize("ground-truth", truth);

        assertThat(new String(bytes, StandardCharsets.UTF_8))
                .isEqualTo(
                        "{\"prediction_id\":\"p-1\",\"label\":1,\"observed_at\":\"2026-11-19T14:02:00Z\",\"source\":\"pathology\",\"revision\":2}");
        assertThat(serde.deserializer().deserialize("ground-truth", bytes)).isEqualTo(truth);
    }

    @Test
    void shouldMapNullToNullWhenTombstone() {
        assertThat(serde.serializer().serialize("t", null)).isNull();
        assertThat(serde.deserializer().deserialize("t", null)).isNull();
    }

    @Test
    void shouldThrowScrubbedSerializationExceptionWhenBytesAreNotARecord() {
        byte[] bad =
                "{\"prediction_id\":\"PHI-CANARY-12345\",\"label\":\"PHI-CANARY\",\"observed_at\":\"x\",\"source\":\"s\",\"revision\":0}"
                        .getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> serde.deserializer().deserialize("ground-truth", bad))
                .isInstanceOf(SerializationException.class)
                .hasNoCause()
                .hasMessageStartingWith("cannot deserialize GroundTruth from topic ground-truth: ")
                .hasMessageContaining("/label")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("CANARY"));
    }

    @Test
    void shouldThrowScrubbedSerializationExceptionWhenRecordConstructorRejects() {
        byte[] bad =
                "{\"prediction_id\":\"PHI-CANARY\",\"label\":7,\"observed_at\":\"2026-11-19T14:02:00Z\",\"source\":\"s\",\"revision\":0}"
                        .getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> serde.deserializer().deserialize("ground-truth", bad))
                .isInstanceOf(SerializationException.class)
                .hasMessageEndingWith("invalid GroundTruth: label must be 0 or 1")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("CANARY"));
    }

    @Test
    void shouldThrowSerializationExceptionWhenJsonIsMalformed() {
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", "{\"a\": NaN}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("malformed JSON at line 1");
    }
}
