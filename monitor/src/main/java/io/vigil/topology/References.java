package io.vigil.topology;

import io.vigil.events.ReferenceProfile;
import io.vigil.serde.Json;
import io.vigil.stats.ReferenceDistribution;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The references topic read back as a global table ({@value #STORE}): the latest
 * {@link ReferenceProfile} JSON per {@code model|version}, on every instance. {@link #lookup} parses a
 * profile once per version of its bytes and caches the parsed distributions, so a snapshot round
 * does not re-decode sketches. Thread-safe: stream threads of one instance share the cache.
 */
public final class References {
    private static final Logger LOG = LoggerFactory.getLogger(References.class);

    /** Name of the global store holding the latest profile bytes per {@code model|version}. */
    public static final String STORE = "references-latest";

    /** A profile with its distributions decoded, or {@link #invalid()} when the stored bytes do not parse. */
    public record Parsed(ReferenceProfile profile, ReferenceDistribution score,
                         Map<String, ReferenceDistribution> features) {
        static Parsed invalid() {
            return new Parsed(null, null, Map.of());
        }

        public boolean isValid() {
            return profile != null;
        }
    }

    private record Cached(byte[] raw, Parsed parsed) {}

    private final Topics topics;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public References(Topics topics) {
        this.topics = topics;
    }

    /** Adds the global table of the references topic. */
    public void addViewTo(StreamsBuilder builder) {
        builder.globalTable(topics.references().name(), topics.references().consumed("references-source"),
                Materialized.<String, byte[], KeyValueStore<Bytes, byte[]>>as(STORE)
                        .withKeySerde(topics.references().keySerde())
                        .withValueSerde(topics.references().valueSerde()));
    }

    /** The global store as seen from a processor of this topology. */
    public static ReadOnlyKeyValueStore<String, ?> store(ProcessorContext<?, ?> context) {
        return context.getStateStore(STORE);
    }

    /** The stored bytes of {@code key}, unwrapping the timestamp a global table keeps. */
    public static byte[] raw(ReadOnlyKeyValueStore<String, ?> store, String key) {
        Object v = store.get(key);
        if (v instanceof ValueAndTimestamp<?> vt) {
            v = vt.value();
        }
        return (byte[]) v;
    }

    /** The parsed reference of {@code model|version}: empty when none is stored; invalid when it does not parse. */
    public Optional<Parsed> lookup(ReadOnlyKeyValueStore<String, ?> store, String key) {
        byte[] raw = raw(store, key);
        if (raw == null) {
            cache.remove(key);
            return Optional.empty();
        }
        Cached c = cache.get(key);
        if (c != null && Arrays.equals(c.raw, raw)) {
            return Optional.of(c.parsed);
        }
        Parsed parsed = parse(key, raw);
        cache.put(key, new Cached(raw, parsed));
        return Optional.of(parsed);
    }

    static Parsed parse(String key, byte[] raw) {
        try {
            ReferenceProfile p = Json.reader().readValue(raw, ReferenceProfile.class);
            Map<String, ReferenceDistribution> features = new TreeMap<>();
            p.features().forEach((name, f) -> features.put(name, f.distribution().toReferenceDistribution()));
            return new Parsed(p, p.score().toReferenceDistribution(), Map.copyOf(features));
        } catch (IOException | RuntimeException e) {
            // No field values in the log: the message names the key and the failure type only.
            LOG.error("Reference profile {} does not parse ({}); drift against it is suspended until a valid "
                    + "profile is published", key, e.getClass().getSimpleName());
            return Parsed.invalid();
        }
    }
}
