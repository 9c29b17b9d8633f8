package io.vigil.stages;

import io.vigil.events.Prediction;
import io.vigil.events.ScannerSighting;
import io.vigil.events.Slice;
import io.vigil.events.SlicedPrediction;
import io.vigil.serde.JsonSerde;
import io.vigil.stages.shared.EventDay;
import io.vigil.topics.Topics;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Which scanner ran which software for which model version, and when (event time): the hierarchy incidents
 * are rooted in (scanner in site, scanner model and software version) and the acquisition changes they
 * report. Each task keeps its sightings in {@value #SEEN_STORE} and writes one {@link ScannerSighting} to the
 * compacted {@code <application.id>-scanner-inventory} topic when a scanner-software pair is new to its
 * partition or its last sighting moves to a later UTC day, so the topic carries about one record per scanner,
 * software version, partition and day; every instance reads it back into the global store {@value #VIEW_STORE}.
 * Predictions whose scanner, site, scanner model or software went to the overflow value {@code other} are not
 * placed (an alert on {@code other} is an incident of its own).
 */
public final class ScannerInventory {
    /** Sightings of this task's partition, by {@link ScannerSighting#key()}. */
    public static final String SEEN_STORE = "scanner-sightings";
    /** Global view of the inventory topic. */
    public static final String VIEW_STORE = "scanner-inventory";

    private final Topics topics;

    public ScannerInventory(Topics topics) {
        this.topics = topics;
    }

    /** Adds the recording processor and its sink. */
    public void addTo(StreamsBuilder builder, KStream<String, SlicedPrediction> sliced) {
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(SEEN_STORE), Serdes.String(), new JsonSerde<>(ScannerSighting.class)));
        sliced.process(Sightings::new, Named.as("scanner-inventory"), SEEN_STORE)
                .to(topics.scannerInventory().name(), topics.scannerInventory().produced("scanner-inventory-sink"));
    }

    /** Adds the global view of the inventory topic. */
    public void addViewTo(StreamsBuilder builder) {
        builder.globalTable(
                topics.scannerInventory().name(),
                topics.scannerInventory().consumed("scanner-inventory-source"),
                Materialized.<String, ScannerSighting>as(
                                // In memory: a global store is rebuilt from its compacted topic at every start, and a
                                // RocksDB one left open by a SIGKILL stops the global thread under exactly-once
                                // (KAFKA-21034; docs/notes/global-store-after-sigkill.md).
                                Stores.inMemoryKeyValueStore(VIEW_STORE))
                        .withKeySerde(topics.scannerInventory().keySerde())
                        .withValueSerde(topics.scannerInventory().valueSerde()));
    }

    /** The sighting a sliced prediction is, or null when one of its acquisition slices is {@code other}. */
    static ScannerSighting sighting(SlicedPrediction sp, int partition, Instant at) {
        String site = null;
        String scanner = null;
        String scannerModel = null;
        String software = null;
        List<Slice> slices = sp.slices();
        for (Slice s : slices) {
            switch (s.dimension()) {
                case "site" -> site = s.value();
                case "scanner" -> scanner = s.value();
                case "scanner_model" -> scannerModel = s.value();
                case "software" -> software = s.value();
                default -> {}
            }
        }
        if (site == null
                || scanner == null
                || scannerModel == null
                || software == null
                || Slice.OTHER.equals(site)
                || Slice.OTHER.equals(scanner)
                || Slice.OTHER.equals(scannerModel)
                || Slice.OTHER.equals(software)) {
            return null;
        }
        Prediction p = sp.prediction();
        return new ScannerSighting(
                p.model().id(), p.model().version(), site, scanner, scannerModel, software, partition, at, at);
    }

    private static final class Sightings implements Processor<String, SlicedPrediction, String, ScannerSighting> {
        private ProcessorContext<String, ScannerSighting> context;
        private KeyValueStore<String, ScannerSighting> seen;
        /** The store's content, read once at init: the per-record check costs a hash lookup, not a decode. */
        private final Map<String, ScannerSighting> local = new HashMap<>();

        @Override
        public void init(ProcessorContext<String, ScannerSighting> context) {
            this.context = context;
            this.seen = context.getStateStore(SEEN_STORE);
            local.clear();
            try (KeyValueIterator<String, ScannerSighting> it = seen.all()) {
                it.forEachRemaining(kv -> local.put(kv.key, kv.value));
            }
        }

        @Override
        public void process(Record<String, SlicedPrediction> record) {
            int partition = context.recordMetadata()
                    .map(m -> m.partition())
                    .orElse(context.taskId().partition());
            ScannerSighting now = sighting(record.value(), partition, Instant.ofEpochMilli(record.timestamp()));
            if (now == null) {
                return;
            }
            String key = now.key();
            ScannerSighting was = local.get(key);
            ScannerSighting next;
            if (was == null) {
                next = now;
            } else if (now.firstSeen().isBefore(was.firstSeen())) {
                next = new ScannerSighting(
                        was.model(),
                        was.version(),
                        was.site(),
                        was.scanner(),
                        was.scannerModel(),
                        was.software(),
                        partition,
                        now.firstSeen(),
                        was.lastSeen());
            } else if (EventDay.ofEpochMilli(now.lastSeen().toEpochMilli())
                    > EventDay.ofEpochMilli(was.lastSeen().toEpochMilli())) {
                next = new ScannerSighting(
                        was.model(),
                        was.version(),
                        was.site(),
                        was.scanner(),
                        was.scannerModel(),
                        was.software(),
                        partition,
                        was.firstSeen(),
                        now.lastSeen());
            } else {
                return;
            }
            local.put(key, next);
            seen.put(key, next);
            context.forward(new Record<>(key, next, record.timestamp()));
        }
    }
}
