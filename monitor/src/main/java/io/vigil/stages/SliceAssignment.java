package io.vigil.stages;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.events.Prediction;
import io.vigil.events.Slice;
import io.vigil.events.SlicedPrediction;
import io.vigil.serde.JsonSerde;
import io.vigil.stages.shared.SliceAdmission;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assigns every accepted prediction, once, to the slices it contributes to: {@code all},
 * {@code site}, {@code scanner} (site-qualified, {@code S01/CT-07}), {@code scanner_model}
 * (manufacturer + model), {@code software} (manufacturer + model + software version), {@code sex},
 * {@code age_band} and each configured attribute ({@code attr.<name>}).
 *
 * <p>Values are capped per model version and dimension across the whole cluster: {@link SliceAdmission}
 * admits the first {@code slices.max-values}; later values become {@link Slice#OTHER} and are counted per
 * dimension in {@link #OVERFLOW_STORE} ({@code vigil_slice_overflow_total}). A prediction with a value that
 * has no decision yet waits in {@link #HELD_STORE} (changelogged) until the decision arrives, typically
 * one commit interval, and is then forwarded with its own timestamp. Every record of the partition that
 * arrives while one waits waits behind it, decided or not: the partition's output keeps its input order,
 * so downstream stream time (late records, day buckets) is exactly what it would be without the wait. In
 * steady state new values are rare and nothing waits; in a backfill a new value holds its partition for
 * about one commit interval. If no decision comes within {@link #DECISION_TIMEOUT} (the owner's task
 * unassigned that long), or more than {@link #MAX_HELD} records wait, the undecided values of the oldest
 * go to {@code other}, counted under {@code admission_timeout}, so that nothing waits forever and memory
 * stays bounded.
 */
public final class SliceAssignment {
    private static final Logger LOG = LoggerFactory.getLogger(SliceAssignment.class);
    /** Predictions waiting for an admission decision, in arrival order. */
    public static final String HELD_STORE = "slice-held";
    /** Per dimension: records whose value went to {@code other}; and {@code admission_timeout|<dimension>}. */
    public static final String OVERFLOW_STORE = "slice-overflow-counts";
    /** Key prefix in {@link #OVERFLOW_STORE} for values sent to {@code other} because no decision came in time. */
    public static final String TIMEOUT_PREFIX = "admission_timeout|";

    static final Duration DECISION_TIMEOUT = Duration.ofMinutes(5);
    static final Duration RELEASE_INTERVAL = Duration.ofMillis(100);
    /** Records one task may hold; beyond it the oldest are released with their undecided values as other. */
    static final int MAX_HELD = 100_000;

    private final SliceAdmission admission;
    private final List<String> attributes;

    public SliceAssignment(SliceAdmission admission, List<String> attributes) {
        this.admission = admission;
        this.attributes = List.copyOf(attributes);
    }

    /** The stream of sliced predictions; also adds {@code admission}'s requests, owner and global store. */
    public KStream<String, SlicedPrediction> addTo(StreamsBuilder builder, KStream<String, Prediction> predictions) {
        admission.addTo(builder, predictions, attributes);
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(HELD_STORE), Serdes.String(), new JsonSerde<>(Held.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(OVERFLOW_STORE), Serdes.String(), Serdes.Long())
                .withCachingEnabled());
        return predictions.process(this::processor, Named.as("slice-assignment"), HELD_STORE, OVERFLOW_STORE);
    }

    /** The processor {@link #addTo} adds, for a test of it alone (stores {@link #HELD_STORE}, {@link #OVERFLOW_STORE}). */
    Processor<String, Prediction, String, SlicedPrediction> processor() {
        return new Assign();
    }

    /** A prediction waiting for a decision: its key, timestamp, value and when it started waiting. */
    record Held(
            @JsonProperty("key") String key,
            @JsonProperty("timestamp") long timestamp,
            @JsonProperty("prediction") Prediction prediction,
            @JsonProperty("held_at_ms") long heldAtMs) {}

    /** A held record and its key in {@link #HELD_STORE}. */
    private record Waiting(String storeKey, Held held) {}

    private final class Assign implements Processor<String, Prediction, String, SlicedPrediction> {
        private ProcessorContext<String, SlicedPrediction> context;
        private KeyValueStore<String, Held> held;
        /**
         * The held store's records in key (arrival) order, read back at init: release walks these instead of
         * the store, so a held record is deserialised only when a task starts, not at every release pass.
         */
        private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();

        private KeyValueStore<String, Long> overflow;
        private SliceAdmission.Decisions decisions;
        private long sequence;
        private long seenVersion = -1;
        private boolean warned;

        @Override
        public void init(ProcessorContext<String, SlicedPrediction> context) {
            this.context = context;
            this.held = context.getStateStore(HELD_STORE);
            this.overflow = context.getStateStore(OVERFLOW_STORE);
            this.decisions = admission.new Decisions(context);
            sequence = 0;
            waiting.clear();
            try (KeyValueIterator<String, Held> it = held.all()) {
                while (it.hasNext()) {
                    KeyValue<String, Held> kv = it.next();
                    sequence = Math.max(sequence, Long.parseLong(kv.key, 16) + 1);
                    waiting.add(new Waiting(kv.key, kv.value));
                }
            }
            context.schedule(RELEASE_INTERVAL, PunctuationType.WALL_CLOCK_TIME, now -> release(now));
        }

        @Override
        public void process(Record<String, Prediction> record) {
            if (!waiting.isEmpty() && admission.version() != seenVersion) {
                release(context.currentSystemTimeMs());
            }
            List<Slice> slices = waiting.isEmpty() ? assign(record.value(), false) : null;
            if (slices != null) {
                context.forward(record.withValue(new SlicedPrediction(record.value(), slices)));
                return;
            }
            Waiting w = new Waiting(
                    heldKey(sequence++),
                    new Held(record.key(), record.timestamp(), record.value(), context.currentSystemTimeMs()));
            held.put(w.storeKey(), w.held());
            waiting.add(w);
        }

        /**
         * Forwards held predictions in arrival order up to the first whose values are not all decided (and
         * that has not timed out): none overtakes another.
         */
        private void release(long now) {
            if (waiting.isEmpty()) {
                return;
            }
            seenVersion = admission.version();
            warned = false;
            while (!waiting.isEmpty()) {
                Held h = waiting.peekFirst().held();
                boolean timedOut = now - h.heldAtMs() >= DECISION_TIMEOUT.toMillis() || waiting.size() > MAX_HELD;
                List<Slice> slices = assign(h.prediction(), timedOut);
                if (slices == null) {
                    break;
                }
                context.forward(new Record<>(h.key(), new SlicedPrediction(h.prediction(), slices), h.timestamp()));
                // put(null), not delete(): a delete returns the old value, deserialising it for nothing.
                held.put(waiting.removeFirst().storeKey(), null);
            }
        }

        /** The capped slices, or null when a value has no decision yet and {@code timedOut} is false. */
        private List<Slice> assign(Prediction p, boolean timedOut) {
            List<Slice> candidates = Slice.candidates(p, attributes);
            SliceAdmission.Decision[] decided = new SliceAdmission.Decision[candidates.size()];
            for (int i = 0; i < decided.length; i++) {
                Slice s = candidates.get(i);
                decided[i] = s == Slice.ALL
                        ? SliceAdmission.Decision.ADMITTED
                        : decisions.of(SliceAdmission.dimensionKey(p, s.dimension()), s.value());
                if (decided[i] == SliceAdmission.Decision.UNDECIDED && !timedOut) {
                    return null;
                }
            }
            List<Slice> slices = new ArrayList<>(candidates.size());
            for (int i = 0; i < decided.length; i++) {
                Slice s = candidates.get(i);
                if (decided[i] == SliceAdmission.Decision.ADMITTED) {
                    slices.add(s);
                    continue;
                }
                count(s.dimension());
                if (decided[i] == SliceAdmission.Decision.UNDECIDED) {
                    count(TIMEOUT_PREFIX + s.dimension());
                    if (!warned) { // once per release pass, not once per held record
                        warned = true;
                        LOG.warn(
                                "No slice admission decision within {} (or more than {} records waiting) for a {}"
                                        + " value of model {}: counted as 'other'. Is the task of the slice admission owner"
                                        + " running?",
                                DECISION_TIMEOUT,
                                MAX_HELD,
                                s.dimension(),
                                p.model().id());
                    }
                }
                slices.add(new Slice(s.dimension(), Slice.OTHER));
            }
            return slices;
        }

        /** {@code %016x} of the sequence number: keys sort in arrival order. */
        private static String heldKey(long sequence) {
            String hex = Long.toHexString(sequence);
            return "0".repeat(16 - hex.length()) + hex;
        }

        private void count(String key) {
            Long n = overflow.get(key);
            overflow.put(key, n == null ? 1L : n + 1L);
        }
    }
}
