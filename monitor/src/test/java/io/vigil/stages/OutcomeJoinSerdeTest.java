package io.vigil.stages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.events.GroundTruth;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/** The join's binary records: round trips, records of the previous format, and damaged bytes. */
class OutcomeJoinSerdeTest {
    private static final OutcomeJoin.Pending PENDING = new OutcomeJoin.Pending(
            List.of("m|1|all|all", "m|1|site|S01", "m|1|scanner|S01/CT-ü\uD83D\uDE00"),
            0.734,
            0.5,
            20_500L,
            1_771_000_000_123L,
            1,
            3,
            1_771_000_999_000L,
            0x5eed_cafe_f00d_1234L,
            false);
    /** As earlier formats decode it: they carried no subject id. */
    private static final OutcomeJoin.Pending PENDING_WITHOUT_SUBJECT = new OutcomeJoin.Pending(
            PENDING.groups(),
            PENDING.score(),
            PENDING.threshold(),
            PENDING.cohortDay(),
            PENDING.occurredAtMs(),
            PENDING.label(),
            PENDING.revision(),
            PENDING.labelObservedAtMs(),
            io.vigil.aggregates.OutcomeChange.NO_SUBJECT,
            false);

    @Test
    void shouldRoundTripPendingPredictionsAndLabels() {
        var pending = new OutcomeJoin.PendingSerde();
        byte[] bytes = pending.serializer().serialize("t", PENDING);
        assertThat(pending.deserializer().deserialize("t", bytes)).isEqualTo(PENDING);

        var input = new OutcomeJoin.InputSerde();
        var label = new OutcomeJoin.Input(
                null,
                new GroundTruth("p-\u00e9-1", 1, Instant.ofEpochMilli(1_771_000_000_456L), "pathology", 2),
                20_600L,
                null);
        assertThat(input.deserializer().deserialize("t", input.serializer().serialize("t", label)))
                .isEqualTo(label);
        var prediction = new OutcomeJoin.Input(PENDING, null, 0L, null);
        assertThat(input.deserializer().deserialize("t", input.serializer().serialize("t", prediction)))
                .isEqualTo(prediction);
    }

    @Test
    void shouldRoundTripALabelWithItsOriginBytesAndHeaders() {
        var input = new OutcomeJoin.InputSerde();
        byte[] sent = " {\"label\": 1,  \"prediction_id\":\"p-1\"} ".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        var origin = new OutcomeJoin.Origin(
                null,
                sent,
                4,
                1_234_567_890_123L,
                java.util.List.of(
                        new org.apache.kafka.common.header.internals.RecordHeader("trace", new byte[] {0, -1, 7}),
                        new org.apache.kafka.common.header.internals.RecordHeader("empty", null)));
        var label = new OutcomeJoin.Input(
                null,
                new GroundTruth("p-1", 1, Instant.ofEpochMilli(1_771_000_000_456L), "pathology", 0),
                20_600L,
                origin);
        var back = input.deserializer().deserialize("t", input.serializer().serialize("t", label));
        assertThat(back.label()).isEqualTo(label.label());
        assertThat(back.expiryDay()).isEqualTo(20_600L);
        assertThat(back.origin().key()).isNull();
        assertThat(back.origin().value()).isEqualTo(sent);
        assertThat(back.origin().partition()).isEqualTo(4);
        assertThat(back.origin().offset()).isEqualTo(1_234_567_890_123L);
        assertThat(back.origin().headers()).hasSize(2);
        assertThat(back.origin().headers().get(0).key()).isEqualTo("trace");
        assertThat(back.origin().headers().get(0).value()).isEqualTo(new byte[] {0, -1, 7});
        assertThat(back.origin().headers().get(1).value()).isNull();
    }

    @Test
    void shouldReadRecordsWrittenInTheFirstFormat() throws IOException {
        // Format 1 as the previous version wrote it: DataOutputStream, modified UTF-8.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(1);
        out.writeShort(PENDING.groups().size());
        for (String g : PENDING.groups()) {
            out.writeUTF(g);
        }
        out.writeDouble(PENDING.score());
        out.writeDouble(PENDING.threshold());
        out.writeLong(PENDING.cohortDay());
        out.writeLong(PENDING.occurredAtMs());
        out.writeByte(PENDING.label());
        out.writeInt(PENDING.revision());
        out.writeLong(PENDING.labelObservedAtMs());
        assertThat(new OutcomeJoin.PendingSerde().deserializer().deserialize("t", bytes.toByteArray()))
                .isEqualTo(PENDING_WITHOUT_SUBJECT);
    }

    @Test
    void shouldReadRecordsWrittenInTheSecondFormatWithoutASubject() {
        // Format 2 is format 3 without the trailing subject id: a state directory of the previous version.
        var pending = new OutcomeJoin.PendingSerde();
        byte[] v3 = pending.serializer().serialize("t", PENDING);
        assertThat(v3[0]).isEqualTo((byte) 3);
        byte[] v2 = Arrays.copyOf(v3, v3.length - 8);
        v2[0] = 2;
        assertThat(pending.deserializer().deserialize("t", v2)).isEqualTo(PENDING_WITHOUT_SUBJECT);

        var input = new OutcomeJoin.InputSerde();
        byte[] p3 = input.serializer().serialize("t", new OutcomeJoin.Input(PENDING, null, 0L, null));
        byte[] p2 = Arrays.copyOf(p3, p3.length - 8);
        p2[0] = 2;
        assertThat(input.deserializer().deserialize("t", p2))
                .isEqualTo(new OutcomeJoin.Input(PENDING_WITHOUT_SUBJECT, null, 0L, null));
    }

    @Test
    void shouldWriteExpiryIndexKeysAsEarlierVersionsDidSoTheirEntriesAreStillFound() {
        // An upgraded task range-scans entries an earlier version wrote with String.format.
        for (long ms : new long[] {0L, -5L, 7L, 1_771_000_000_123L, 9_999_999_999_999L, 12_345_678_901_234L}) {
            assertThat(OutcomeJoin.wallKey(ms, 'L', "p-ü"))
                    .isEqualTo(String.format("w%013d|%c|%s", Math.max(0, ms), 'L', "p-ü"));
        }
    }

    @Test
    void shouldRejectTruncatedOrUnknownRecordsWithAClearError() {
        var serde = new OutcomeJoin.PendingSerde();
        byte[] bytes = serde.serializer().serialize("t", PENDING);
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", Arrays.copyOf(bytes, bytes.length - 3)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("cannot decode join record");
        byte[] unknown = bytes.clone();
        unknown[0] = 9;
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", unknown))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("unknown join record format 9");
        byte[] trailing = Arrays.copyOf(bytes, bytes.length + 1);
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", trailing))
                .isInstanceOf(SerializationException.class);
    }
}
