package io.vigil.deadletters;

import io.vigil.events.Reason;
import io.vigil.serde.KafkaHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Header names of a dead-lettered record. The record keeps its original key, value and headers;
 * these headers add why it was rejected and where it came from. Reasons never carry field values.
 *
 * <p>A record bigger than the dead-letter topic takes ({@link DeadLetterLimit}) keeps its key and headers
 * and the first bytes of its value that fit, with {@value #TRUNCATED} = {@code true} and the original value
 * size in {@value #ORIGINAL_SIZE}: enough to find it at its source coordinates, never a stopped stream.
 */
public final class DeadLetters {
    public static final String REASON = "vigil.error.reason";
    public static final String PATH = "vigil.error.path";
    public static final String MESSAGE = "vigil.error.message";
    public static final String STAGE = "vigil.error.stage";
    public static final String SOURCE_TOPIC = "vigil.source.topic";
    public static final String SOURCE_PARTITION = "vigil.source.partition";
    public static final String SOURCE_OFFSET = "vigil.source.offset";
    public static final String TRUNCATED = "vigil.error.truncated";
    public static final String ORIGINAL_SIZE = "vigil.error.original-size";
    /**
     * Header on an accepted label: its original value bytes, set by ingest and read by the outcome join,
     * so that a label dead-lettered later keeps the bytes it arrived with (it never leaves Vigil but as
     * a dead letter's value).
     */
    public static final String ORIGIN_VALUE = "vigil.origin.value";
    /** Header on an accepted label: its original key bytes, when it had a key. */
    public static final String ORIGIN_KEY = "vigil.origin.key";

    private DeadLetters() {}

    /** Adds the reason and origin headers, replacing any earlier ones of the same name. */
    public static void annotate(
            Headers headers, String stage, Reason reason, String topic, int partition, long offset) {
        put(headers, REASON, reason.code());
        put(headers, PATH, reason.path());
        put(headers, MESSAGE, reason.message());
        put(headers, STAGE, stage);
        put(headers, SOURCE_TOPIC, topic);
        put(headers, SOURCE_PARTITION, Integer.toString(partition));
        put(headers, SOURCE_OFFSET, Long.toString(offset));
    }

    /** Bytes a record takes against the broker's limit: key, value, header names and values. */
    static long size(byte[] key, byte[] value, Headers headers) {
        long size = (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
        for (Header h : headers) {
            size += h.key().length() + (h.value() == null ? 0 : h.value().length) + 8;
        }
        return size;
    }

    /**
     * The value to dead-letter: {@code value} itself when the record fits in {@code maxBytes}, otherwise its
     * first bytes, with the {@value #TRUNCATED} and {@value #ORIGINAL_SIZE} headers added to {@code headers}.
     * Should the key and headers alone exceed the limit, the value is empty.
     */
    public static byte[] fit(byte[] key, byte[] value, Headers headers, int maxBytes) {
        if (value == null || size(key, value, headers) <= maxBytes) {
            return value;
        }
        put(headers, TRUNCATED, "true");
        put(headers, ORIGINAL_SIZE, Integer.toString(value.length));
        long room = maxBytes - size(key, null, headers);
        return Arrays.copyOf(value, (int) Math.max(0, Math.min(value.length, room)));
    }

    /** A dead letter for {@code topic}: the original key, value and headers plus why, fitted to {@code maxBytes}. */
    public static ProducerRecord<byte[], byte[]> record(
            String topic,
            byte[] key,
            byte[] value,
            Headers original,
            String stage,
            Reason reason,
            String sourceTopic,
            int sourcePartition,
            long sourceOffset,
            int maxBytes) {
        Headers headers = original == null ? KafkaHeaders.empty() : KafkaHeaders.copyOf(original);
        annotate(headers, stage, reason, sourceTopic, sourcePartition, sourceOffset);
        byte[] fitted = fit(key, value, headers, maxBytes);
        return new ProducerRecord<>(topic, null, key, fitted, headers);
    }

    private static void put(Headers headers, String name, String value) {
        headers.remove(name);
        headers.add(name, (value == null ? "" : value).getBytes(StandardCharsets.UTF_8));
    }
}
