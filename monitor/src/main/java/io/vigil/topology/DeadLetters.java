package io.vigil.topology;

import io.vigil.events.Reason;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;

/**
 * Header names of a dead-lettered record. The record keeps its original key, value and headers;
 * these headers add why it was rejected and where it came from. Reasons never carry field values.
 */
public final class DeadLetters {
    public static final String REASON = "vigil.error.reason";
    public static final String PATH = "vigil.error.path";
    public static final String MESSAGE = "vigil.error.message";
    public static final String STAGE = "vigil.error.stage";
    public static final String SOURCE_TOPIC = "vigil.source.topic";
    public static final String SOURCE_PARTITION = "vigil.source.partition";
    public static final String SOURCE_OFFSET = "vigil.source.offset";

    private DeadLetters() {}

    /** Adds the reason and origin headers, replacing any earlier ones of the same name. */
    static void annotate(Headers headers, String stage, Reason reason,
                         String topic, int partition, long offset) {
        put(headers, REASON, reason.code());
        put(headers, PATH, reason.path());
        put(headers, MESSAGE, reason.message());
        put(headers, STAGE, stage);
        put(headers, SOURCE_TOPIC, topic);
        put(headers, SOURCE_PARTITION, Integer.toString(partition));
        put(headers, SOURCE_OFFSET, Long.toString(offset));
    }

    private static void put(Headers headers, String name, String value) {
        headers.remove(name);
        headers.add(name, (value == null ? "" : value).getBytes(StandardCharsets.UTF_8));
    }
}
