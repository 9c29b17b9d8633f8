package io.vigil.stages.shared;

import io.vigil.events.ReferenceProfile;
import io.vigil.serde.Json;
import io.vigil.stats.ReferenceDistribution;
import io.vigil.topics.Topics;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The references topic read back as a global store ({@value #STORE}): the latest
 * {@link ReferenceProfile} JSON per {@code model|version}, on every instance. {@link #lookup} parses a
 * profile once per version of its bytes and caches the parsed distributions, so a snapshot round
 * does not re-decode sketches. Thread-safe: stream threads of one instance share the cache.
 *
 * <p>Lookups are per prediction (label-free estimation reads its model's calibration map), so a
 * cached profile is returned without touching the store while nothing has been written to it: the
 * global store's processor counts its writes ({@link #version}), and a cache entry is checked against
 * the stored bytes only after a write. (Reading the store per lookup copied the whole profile out of
 * RocksDB and compared it byte by byte: 9% of a stream thread's time in a 1M-prediction profile.)
 * Writes go to the store before the count moves, so a lookup that sees the new count sees the new bytes.
 * Kafka Streams replays the topic through the same processor when it restores the store, and the
 * cache starts empty, so no profile restored at startup is missed.
 */
public final class References {
    private static final Logger LOG = LoggerFactory.getLogger(References.class);

    /** Name of the global store holding the latest profile bytes per {@code model|version}. */
    public static final String STORE = "references-latest";

    /** A profile with its distributions decoded, or {@link #invalid()} when the stored bytes do not parse. */
    public record Parsed(
            ReferenceProfile profile, ReferenceDistribution score, Map<String, ReferenceDistribution> features) {
        static Parsed invalid() {
            return new Parsed(null, null, Map.of());
        }

        public boolean isValid() {
            return profile != null;
        }
    }

    private record Cached(byte[] raw, Parsed parsed, long version) {}

    private final Topics topics;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    /** Writes to the global store by this instance's global thread (or its restore), ever. */
    private final AtomicLong version = new AtomicLong();

    public References(Topics topics) {
        this.topics = topics;
    }

    /**
     * Adds the global store of the references topic: latest value per key, a null value deletes it.
     * The store keeps the layout of the global table it replaced (value with its record timestamp),
     * so state directories written by earlier versions still read.
     */
    public void addViewTo(StreamsBuilder builder) {
        builder.addGlobalStore(
                Stores.timestampedKeyValueStoreBuilder(
                                // In memory: rebuilt from the compacted topic at every start; a RocksDB global
                                // store left open by a SIGKILL stops the global thread under exactly-once
                                // (KAFKA-21034; docs/notes/global-store-after-sigkill.md).
                                Stores.inMemoryKeyValueStore(STORE),
                                topics.references().keySerde(),
                                topics.references().valueSerde())
                        .withLoggingDisabled(),
                topics.references().name(),
                topics.references().consumed("references-source"),
                Update::new);
    }

    /** The global store's writer: applies each record and counts the write. */
    private final class Update implements Processor<String, byte[], Void, Void> {
        private TimestampedKeyValueStore<String, byte[]> store;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(STORE);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            if (record.key() == null) {
                return; // as a global table does: a record without a key cannot be stored
            }
            if (record.value() == null) {
                store.delete(record.key());
            } else {
                store.put(record.key(), ValueAndTimestamp.make(record.value(), record.timestamp()));
            }
            version.incrementAndGet();
        }
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

    /**
     * The parsed profile of the model version a slice group ({@code model|version|...}) belongs to, or null: the
     * same object while the stored profile is unchanged, so it tells a snapshotter when to recompute.
     */
    public Parsed ofGroup(ReadOnlyKeyValueStore<String, ?> store, String group) {
        if (store == null) {
            return null;
        }
        String[] g = group.split("\\|", 3);
        return g.length < 2
                ? null
                : lookup(store, ReferenceProfile.key(g[0], g[1])).orElse(null);
    }

    /** The parsed reference of {@code model|version}: empty when none is stored; invalid when it does not parse. */
    public Optional<Parsed> lookup(ReadOnlyKeyValueStore<String, ?> store, String key) {
        long seen = version.get();
        Cached c = cache.get(key);
        if (c != null && c.version == seen) {
            return Optional.ofNullable(c.parsed);
        }
        byte[] raw = raw(store, key);
        Parsed parsed;
        if (raw == null) {
            parsed = null;
        } else if (c != null && c.raw != null && Arrays.equals(c.raw, raw)) {
            parsed = c.parsed;
        } else {
            parsed = parse(key, raw);
        }
        cache.put(key, new Cached(raw, parsed, seen));
        return Optional.ofNullable(parsed);
    }

    static Parsed parse(String key, byte[] raw) {
        try {
            ReferenceProfile p = Json.reader().readValue(raw, ReferenceProfile.class);
            Map<String, ReferenceDistribution> features = new TreeMap<>();
            p.features()
                    .forEach((name, f) -> features.put(name, f.distribution().toReferenceDistribution()));
            return new Parsed(p, p.score().toReferenceDistribution(), Map.copyOf(features));
        } catch (IOException | RuntimeException e) {
            // No field values in the log: the message names the key and the failure type only.
            LOG.error(
                    "Reference profile {} does not parse ({}); drift against it is suspended until a valid "
                            + "profile is published",
                    key,
                    e.getClass().getSimpleName());
            return Parsed.invalid();
        }
    }
}
