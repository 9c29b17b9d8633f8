package io.vigil.topology;

import io.vigil.events.Prediction;
import io.vigil.events.Slice;
import io.vigil.events.SlicedPrediction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Assigns every accepted prediction, once, to the slices it contributes to: {@code all},
 * {@code site}, {@code scanner} (site-qualified, {@code S01/CT-07}), {@code scanner_model}
 * (manufacturer + model), {@code software} (manufacturer + model + software version), {@code sex},
 * {@code age_band} and each configured attribute ({@code attr.<name>}).
 *
 * <p>Values are capped per model version and dimension: the first {@code maxValues} distinct values
 * seen are admitted, later ones become {@link Slice#OTHER} and are counted. The admitted set lives in
 * a state store, so it is the same after a restart; memory and Prometheus series stay bounded
 * however many new scanner ids arrive. The cap holds per stream task (input partition).
 */
public final class SliceAssignment {
    public static final String STORE = "slice-catalog";
    /** Store key suffix counting records whose value overflowed into {@code other}. */
    static final String OVERFLOW = "\u0000overflow";

    private final int maxValues;
    private final List<String> attributes;

    public SliceAssignment(int maxValues, List<String> attributes) {
        if (maxValues < 1) {
            throw new IllegalArgumentException("maxValues must be >= 1");
        }
        this.maxValues = maxValues;
        this.attributes = List.copyOf(attributes);
    }

    public KStream<String, SlicedPrediction> addTo(StreamsBuilder builder, KStream<String, Prediction> predictions) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(STORE),
                Serdes.String(), Serdes.Long()).withCachingEnabled());
        return predictions.processValues(() -> new Assign(maxValues, attributes), Named.as("slice-assignment"),
                STORE);
    }

    /** The uncapped slices of one prediction, {@code all} first. Pure. */
    public static List<Slice> candidates(Prediction p, List<String> attributes) {
        List<Slice> out = new ArrayList<>(8 + attributes.size());
        out.add(Slice.ALL);
        out.add(new Slice("site", p.site()));
        out.add(new Slice("scanner", p.site() + "/" + p.scanner().id()));
        String model = p.scanner().manufacturer() + " " + p.scanner().model();
        out.add(new Slice("scanner_model", model));
        out.add(new Slice("software", model + " " + p.scanner().softwareVersion()));
        if (p.demographics() != null) {
            if (p.demographics().sex() != null) {
                out.add(new Slice("sex", p.demographics().sex()));
            }
            if (p.demographics().ageBand() != null) {
                out.add(new Slice("age_band", p.demographics().ageBand()));
            }
        }
        for (String name : attributes) {
            String v = p.attributes().get(name);
            if (v != null) {
                out.add(new Slice("attr." + name, v));
            }
        }
        return out;
    }

    /** Store key of an admitted value: model, version, dimension, value. */
    static String key(Prediction p, String dimension, String value) {
        return p.model().id() + "|" + p.model().version() + "|" + dimension + "|" + value;
    }

    private static final class Assign implements FixedKeyProcessor<String, Prediction, SlicedPrediction> {
        private final int maxValues;
        private final List<String> attributes;
        private FixedKeyProcessorContext<String, SlicedPrediction> context;
        private KeyValueStore<String, Long> store;
        /** model|version|dimension -> admitted values; a heap mirror of the store. */
        private final Map<String, Set<String>> admitted = new HashMap<>();

        Assign(int maxValues, List<String> attributes) {
            this.maxValues = maxValues;
            this.attributes = attributes;
        }

        @Override
        public void init(FixedKeyProcessorContext<String, SlicedPrediction> context) {
            this.context = context;
            this.store = context.getStateStore(STORE);
            admitted.clear(); // a task revived in the same object starts from its restored store only
            try (KeyValueIterator<String, Long> it = store.all()) {
                while (it.hasNext()) {
                    KeyValue<String, Long> kv = it.next();
                    if (kv.key.endsWith(OVERFLOW)) {
                        continue;
                    }
                    int cut = kv.key.lastIndexOf('|');
                    admitted.computeIfAbsent(kv.key.substring(0, cut), k -> new HashSet<>())
                            .add(kv.key.substring(cut + 1));
                }
            }
        }

        @Override
        public void process(FixedKeyRecord<String, Prediction> record) {
            Prediction p = record.value();
            List<Slice> candidates = candidates(p, attributes);
            List<Slice> slices = new ArrayList<>(candidates.size());
            for (Slice s : candidates) {
                slices.add(s == Slice.ALL ? s : cap(p, s));
            }
            context.forward(record.withValue(new SlicedPrediction(p, slices)));
        }

        private Slice cap(Prediction p, Slice s) {
            String dimKey = p.model().id() + "|" + p.model().version() + "|" + s.dimension();
            Set<String> values = admitted.computeIfAbsent(dimKey, k -> new HashSet<>());
            if (values.contains(s.value())) {
                return s;
            }
            if (values.size() < maxValues) {
                values.add(s.value());
                store.put(dimKey + "|" + s.value(), 1L);
                return s;
            }
            String overflowKey = dimKey + OVERFLOW;
            Long n = store.get(overflowKey);
            store.put(overflowKey, n == null ? 1L : n + 1L);
            return new Slice(s.dimension(), Slice.OTHER);
        }
    }
}
