package io.vigil.serde;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Record headers made through Kafka's public API only. Kafka's own {@code Headers} implementation lives
 * in an internal package; a new Kafka Streams {@link Record} is the public way to get a fresh, mutable
 * one.
 */
public final class KafkaHeaders {
    private KafkaHeaders() {}

    /** New, empty, mutable headers. */
    public static Headers empty() {
        return new Record<Void, Void>(null, null, 0L).headers();
    }

    /** New, mutable headers holding {@code headers}' entries, in order; later changes do not touch the source. */
    public static Headers copyOf(Iterable<Header> headers) {
        Headers copy = empty();
        headers.forEach(copy::add);
        return copy;
    }

    /** One header. */
    public static Header of(String key, byte[] value) {
        return new Entry(key, value);
    }

    private record Entry(String key, byte[] value) implements Header {}
}
