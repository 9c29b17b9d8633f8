package io.vigil.adapters;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.vigil.config.VigilConfig;
import io.vigil.deadletters.DeadLetters;
import io.vigil.events.GroundTruth;
import io.vigil.events.Reason;
import io.vigil.serde.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * What a ground-truth adapter (HL7 v2 over MLLP, FHIR over HTTP or a topic) sends to Kafka, each call returning
 * only once the broker has acknowledged every record ({@code acks=all}), so that the adapter answers its sender
 * "stored" only for what is stored: ground truth keyed by {@code prediction_id}, and whole messages that cannot be
 * mapped as dead letters with the {@link DeadLetters} headers. When Kafka does not acknowledge,
 * {@link NotAcknowledged} says so and the adapter tells its sender to send again (a resend is safe: the same
 * prediction ids and revisions count once).
 */
public final class AcknowledgedSends {
    /** A dead letter larger than this keeps only its first bytes (Kafka's default message limit is about 1 MB). */
    public static final int MAX_DEAD_LETTER_BYTES = 1_000_000;

    private final Producer<byte[], byte[]> producer;
    private final String groundTruthTopic;
    private final String deadLetterTopic;
    private final String stage;

    /** @param stage the adapter's {@code vigil.error.stage} on its dead letters */
    public AcknowledgedSends(
            Producer<byte[], byte[]> producer, String groundTruthTopic, String deadLetterTopic, String stage) {
        this.producer = producer;
        this.groundTruthTopic = groundTruthTopic;
        this.deadLetterTopic = deadLetterTopic;
        this.stage = stage;
    }

    /** Kafka did not acknowledge a record (refused, timed out, or the wait was interrupted). */
    public static final class NotAcknowledged extends Exception {
        NotAcknowledged(Throwable cause) {
            super(cause.getClass().getSimpleName(), cause);
        }

        /** The simple name of the cause, for a log line that must not quote record content. */
        public String causeName() {
            return getMessage();
        }
    }

    /** Sends every event, keyed by its prediction id, and waits for Kafka's acknowledgement of each. */
    public void groundTruth(List<GroundTruth> events) throws NotAcknowledged {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (GroundTruth gt : events) {
            byte[] key = gt.predictionId().getBytes(StandardCharsets.UTF_8);
            records.add(new ProducerRecord<>(groundTruthTopic, key, json(gt)));
        }
        sendAndAwait(records);
    }

    /**
     * Dead-letters {@code value} (cut to {@link #MAX_DEAD_LETTER_BYTES}) with its reason and where it came from, and
     * waits for Kafka's acknowledgement.
     *
     * @param source    {@code vigil.source.topic}: the topic, or the protocol it came by (e.g. {@code mllp})
     * @param partition its partition, or -1 when it did not come from a topic
     * @param offset    its offset, or -1
     */
    public void deadLetter(byte[] value, Reason reason, String source, int partition, long offset)
            throws NotAcknowledged {
        sendAndAwait(List.of(DeadLetters.record(
                deadLetterTopic, null, value, null, stage, reason, source, partition, offset, MAX_DEAD_LETTER_BYTES)));
    }

    /** Sends every record, then waits for Kafka's acknowledgement of each. */
    private void sendAndAwait(List<ProducerRecord<byte[], byte[]>> records) throws NotAcknowledged {
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        try {
            for (ProducerRecord<byte[], byte[]> r : records) {
                sends.add(producer.send(r));
            }
            for (Future<RecordMetadata> send : sends) {
                send.get();
            }
        } catch (ExecutionException e) {
            throw new NotAcknowledged(e.getCause());
        } catch (RuntimeException e) {
            throw new NotAcknowledged(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotAcknowledged(e);
        }
    }

    /**
     * An adapter producer's settings: Vigil's {@code kafka.*} client settings over these defaults: idempotent,
     * {@code acks=all}, and timeouts that give up within about 30 s when Kafka is away, so that the adapter answers
     * its sender before the sender's own timeout (an interface engine's should be longer).
     */
    public static Map<String, Object> producerSettings(VigilConfig config, String clientId) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000);
        p.putAll(config.kafkaClientSettings());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return p;
    }

    /**
     * The first 12 hex digits of SHA-256 of an identifier the sender knows (a message control id, a resource id):
     * enough to find a message in the sender's log, without its content.
     */
    public static String shortHash(String id) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] json(GroundTruth gt) {
        try {
            return Json.writer().writeValueAsBytes(gt);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("ground truth cannot be written as JSON", e);
        }
    }
}
