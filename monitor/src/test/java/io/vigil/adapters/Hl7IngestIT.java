package io.vigil.adapters;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.app.Connection;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.util.Terser;
import io.vigil.adapters.hl7.GroundTruthReceiver;
import io.vigil.adapters.hl7.Hl7Listener;
import io.vigil.adapters.hl7.OruMessages;
import io.vigil.config.VigilConfig;
import io.vigil.deadletters.DeadLetters;
import io.vigil.events.EventValidator;
import io.vigil.events.GroundTruth;
import io.vigil.events.Validation;
import io.vigil.testing.KafkaBroker;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.RealKafka;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vigil ingest hl7} against a real broker: HAPI's own MLLP client sends ORU^R01 results over loopback to
 * the listener, which answers AA only once the ground truth is on the topic, AE/AR with a reason and a dead
 * letter for what it cannot map, and AE (never AA) when the broker does not take the record.
 */
@RealKafka
class Hl7IngestIT {
    private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");

    private final HapiContext client = new DefaultHapiContext();

    @BeforeEach
    void noValidationOnTheSendingSide() {
        client.setValidationContext(ca.uhn.hl7v2.validation.impl.ValidationContextFactory.noValidation());
    }

    @AfterEach
    void closeClient() throws Exception {
        client.close();
    }

    private static VigilConfig config(MonitorHarness h, Path state, Map<String, Object> overrides) {
        Map<String, Object> values =
                new HashMap<>(Map.of(VigilConfig.HL7_PORT, "0", VigilConfig.HL7_BIND, "127.0.0.1"));
        values.putAll(overrides);
        return h.config(state, values);
    }

    private Message send(Hl7Listener listener, String er7) throws Exception {
        Connection connection = client.newClient("127.0.0.1", listener.port(), false);
        try {
            connection.getInitiator().setTimeout(60, TimeUnit.SECONDS);
            return connection
                    .getInitiator()
                    .sendAndReceive(client.getPipeParser().parse(er7));
        } finally {
            connection.close();
        }
    }

    private static String msa(Message ack, int field) throws Exception {
        return new Terser(ack).get("/MSA-" + field);
    }

    private static GroundTruth groundTruth(ConsumerRecord<byte[], byte[]> r) {
        Validation<GroundTruth> v = new EventValidator().groundTruth(r.value(), NOW);
        assertThat(v.accepted())
                .as("the record passes Vigil's own ground-truth contract")
                .isTrue();
        return ((Validation.Accepted<GroundTruth>) v).value();
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void shouldAnswerAAWithTheRecordOnTheTopicAndTurnACorrectionIntoAHigherRevision(
            KafkaBroker kafka, @TempDir Path state) throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        kafka.createTopic(h.topic("ground-truth"), 3);
        kafka.createTopic(h.topic("dead-letters"), 1);
        try (Hl7Listener listener = Hl7Listener.start(config(h, state, Map.of()))) {
            Message ack = send(
                    listener, OruMessages.finalPositive().msh(10, "MSG-F-1").build());
            assertThat(msa(ack, 1)).isEqualTo("AA");
            assertThat(msa(ack, 2)).isEqualTo("MSG-F-1");
            // AA is sent after the broker acknowledged: the record is there when the answer arrives.
            List<ConsumerRecord<byte[], byte[]>> first = h.readAll(h.topic("ground-truth"));
            assertThat(first).hasSize(1);
            assertThat(new String(first.getFirst().key(), StandardCharsets.UTF_8))
                    .isEqualTo("ACC-0001");
            assertThat(groundTruth(first.getFirst()))
                    .isEqualTo(new GroundTruth(
                            "ACC-0001", 1, Instant.parse("2026-11-19T14:02:00Z"), "radiology_report", 0));

            Message corrected = send(
                    listener,
                    OruMessages.finalPositive()
                            .msh(10, "MSG-C-1")
                            .corrected("20261120100000")
                            .obx(5, "260385009^Negative^SCT")
                            .build());
            assertThat(msa(corrected, 1)).isEqualTo("AA");
            List<ConsumerRecord<byte[], byte[]>> both = h.readAll(h.topic("ground-truth"));
            assertThat(both).hasSize(2);
            ConsumerRecord<byte[], byte[]> revision = both.stream()
                    .filter(r -> groundTruth(r).revision() > 0)
                    .findFirst()
                    .orElseThrow();
            // Same key, so the same partition as the first report: the outcome join sees both in order.
            assertThat(revision.partition()).isEqualTo(first.getFirst().partition());
            int expectedRevision = (int) (Instant.parse("2026-11-20T10:00:00Z").getEpochSecond()
                    - Instant.parse("2000-01-01T00:00:00Z").getEpochSecond());
            assertThat(groundTruth(revision))
                    .isEqualTo(new GroundTruth(
                            "ACC-0001",
                            0,
                            Instant.parse("2026-11-20T10:00:00Z"),
                            "radiology_report",
                            expectedRevision));
            // A preliminary result is acknowledged and produces nothing: ground truth is final or corrected.
            Message preliminary = send(
                    listener,
                    OruMessages.finalPositive()
                            .msh(10, "MSG-P-1")
                            .obr(25, "P")
                            .obx(11, "P")
                            .build());
            assertThat(msa(preliminary, 1)).isEqualTo("AA");
            assertThat(h.readAll(h.topic("ground-truth"))).hasSize(2);
            assertThat(h.readAll(h.topic("dead-letters"))).isEmpty();
            assertThat(listener.counts().accepted.get()).isEqualTo(2);
            assertThat(listener.counts().events.get()).isEqualTo(2);
            assertThat(listener.counts().ignored.get()).isEqualTo(1);
            assertThat(listener.counts().deadLettered.get()).isZero();
            assertThat(listener.counts().failed.get()).isZero();
        }
    }

    @Test
    void shouldAnswerAEOrARWithTheReasonAndDeadLetterWhatItCannotMap(KafkaBroker kafka, @TempDir Path state)
            throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        kafka.createTopic(h.topic("ground-truth"), 3);
        kafka.createTopic(h.topic("dead-letters"), 1);
        try (Hl7Listener listener = Hl7Listener.start(config(h, state, Map.of()))) {
            String noId = OruMessages.finalPositive()
                    .msh(10, "MSG-X-1")
                    .obr(2, "")
                    .obr(3, "")
                    .build();
            Message ae = send(listener, noId);
            assertThat(msa(ae, 1)).isEqualTo("AE");
            assertThat(msa(ae, 2)).isEqualTo("MSG-X-1");
            assertThat(ae.encode()).contains("missing_field OBR-3-1,OBR-2-1: no prediction id (accession)");

            Message unknown = send(
                    listener,
                    OruMessages.finalPositive().obx(5, "399999999^Other^SCT").build());
            assertThat(msa(unknown, 1)).isEqualTo("AE");

            Message ar = send(
                    listener,
                    OruMessages.finalPositive().msh(9, "ADT^A01^ADT_A01").build());
            assertThat(msa(ar, 1)).isEqualTo("AR");

            assertThat(h.readAll(h.topic("ground-truth"))).isEmpty();
            List<ConsumerRecord<byte[], byte[]>> dead = h.readAll(h.topic("dead-letters"));
            assertThat(dead)
                    .extracting(r -> header(r, DeadLetters.REASON))
                    .containsExactly("missing_field", "unknown_enum", "invalid");
            ConsumerRecord<byte[], byte[]> first = dead.getFirst();
            assertThat(header(first, DeadLetters.PATH)).isEqualTo("OBR-3-1,OBR-2-1");
            assertThat(header(first, DeadLetters.STAGE)).isEqualTo(GroundTruthReceiver.STAGE);
            assertThat(header(first, DeadLetters.SOURCE_TOPIC)).isEqualTo(GroundTruthReceiver.SOURCE);
            // The whole message, as received, stays in Kafka for whoever fixes the interface.
            String value = new String(first.value(), StandardCharsets.UTF_8);
            assertThat(value).startsWith("MSH|").contains("MSG-X-1", "PID|1||MRN-998877");
            assertThat(listener.counts().deadLettered.get()).isEqualTo(3);
            assertThat(listener.counts().accepted.get()).isZero();
            assertThat(listener.counts().ignored.get()).isZero();
            assertThat(listener.counts().failed.get()).isZero();
        }
    }

    @Test
    void shouldDeadLetterAMessageHapiCannotParseSentOverRawMllp(KafkaBroker kafka, @TempDir Path state)
            throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        kafka.createTopic(h.topic("ground-truth"), 3);
        kafka.createTopic(h.topic("dead-letters"), 1);
        try (Hl7Listener listener = Hl7Listener.start(config(h, state, Map.of()));
                Socket socket = new Socket("127.0.0.1", listener.port())) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(0x0b);
            out.write("this is not HL7\r".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[] {0x1c, 0x0d});
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder answer = new StringBuilder();
            for (int b = in.read(); b != 0x1c && b != -1; b = in.read()) {
                answer.append((char) b);
            }
            assertThat(answer.toString()).contains("MSA|AR", "invalid (root): not a parseable HL7 v2 message");
            List<ConsumerRecord<byte[], byte[]>> dead = h.readAll(h.topic("dead-letters"));
            assertThat(dead).hasSize(1);
            assertThat(header(dead.getFirst(), DeadLetters.REASON)).isEqualTo("invalid");
            assertThat(new String(dead.getFirst().value(), StandardCharsets.UTF_8))
                    .contains("this is not HL7");
        }
    }

    @Test
    void shouldAnswerAENotAAWhenTheBrokerCannotTakeTheRecord(KafkaBroker kafka, @TempDir Path state) throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        // The ground-truth topic does not exist and the broker does not create topics: the send fails.
        kafka.createTopic(h.topic("dead-letters"), 1);
        VigilConfig config = config(
                h,
                state,
                Map.of(VigilConfig.TOPIC_GROUND_TRUTH, h.topic("no-such-topic"), "kafka.max.block.ms", "2000"));
        try (Hl7Listener listener = Hl7Listener.start(config)) {
            Message ack = send(listener, OruMessages.finalPositive().build());
            assertThat(msa(ack, 1)).isEqualTo("AE");
            assertThat(ack.encode()).contains("Kafka did not acknowledge");
            assertThat(listener.counts().failed.get()).isEqualTo(1);
            assertThat(listener.counts().accepted.get()).isZero();
        }
    }
}
