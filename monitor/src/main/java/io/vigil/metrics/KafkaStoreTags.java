package io.vigil.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import java.util.ArrayList;
import java.util.List;

/**
 * Kafka Streams tags a state store's metrics with a key named after the store's type
 * ({@code rocksdb.state.id}, {@code in.memory.state.id}, ...), so one metric name such as
 * {@code kafka.stream.state.put.latency.avg} arrives with different tag keys. Prometheus allows one
 * set of label names per metric name: Micrometer's registry kept whichever store registered first and
 * dropped the others (one WARN "registration has failed" per start, which stores depended on
 * timing). This filter gives every store the same two labels, {@code state_id} and
 * {@code store_type} ({@code rocksdb}, {@code in.memory}, ...).
 */
public final class KafkaStoreTags implements MeterFilter {
    private static final String PREFIX = "kafka.stream.state.";
    private static final String SUFFIX = ".state.id";

    @Override
    public Meter.Id map(Meter.Id id) {
        if (!id.getName().startsWith(PREFIX)) {
            return id;
        }
        List<Tag> tags = new ArrayList<>();
        boolean renamed = false;
        for (Tag tag : id.getTagsAsIterable()) {
            String key = tag.getKey();
            if (key.endsWith(SUFFIX) && key.length() > SUFFIX.length()) {
                tags.add(Tag.of("state.id", tag.getValue()));
                tags.add(Tag.of("store.type", key.substring(0, key.length() - SUFFIX.length())));
                renamed = true;
            } else {
                tags.add(tag);
            }
        }
        return renamed ? id.replaceTags(tags) : id;
    }
}
