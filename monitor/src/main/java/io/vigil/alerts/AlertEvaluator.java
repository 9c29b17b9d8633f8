package io.vigil.alerts;

import io.vigil.events.Alert;
import io.vigil.events.Incident;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.ScannerSighting;
import io.vigil.incidents.IncidentGrouping;
import io.vigil.metrics.DerivedMetrics;
import io.vigil.serde.JsonSerde;
import io.vigil.stages.ScannerInventory;
import io.vigil.topics.MetricSnapshots;
import io.vigil.topics.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The alert stage: evaluates the rules (see {@link AlertEvaluation}) over the global view of the
 * latest metric snapshots every {@code alerts.evaluation-interval-ms} of wall clock, keeps each
 * fingerprint's lifecycle in the {@value #STATE_STORE} store and writes every transition to the
 * compacted alerts topic, keyed by fingerprint.
 *
 * <p>Exactly one task in the whole application evaluates: the processor's source is the
 * single-partition topic {@code <application.id>-alert-clock}, which nobody writes; its only job is to
 * make Kafka Streams place one task (with its store) on one instance and move it on failover. The
 * state and the alerts written in a round commit together, so under {@code exactly_once_v2} a crash
 * neither loses nor duplicates a transition. Pipeline self-checks (dead-letter share, lag, stream
 * state) enter as extra snapshots from a supplier read at each round.
 *
 * <p>After the alerts, the same round groups the firing alerts into incidents ({@link IncidentGrouping}, over
 * the scanner inventory's global view {@value ScannerInventory#VIEW_STORE}), keeps the open ones in
 * {@value #INCIDENT_STORE} and writes each incident transition to the compacted incidents topic, keyed by
 * incident id, in the same transaction as the alerts.
 *
 * <p>{@link #addViewTo} adds the global stores {@value #VIEW_STORE} and {@value #INCIDENT_VIEW_STORE}: the latest
 * transition per fingerprint and per incident on every instance, read by the active-alerts gauge,
 * {@code /api/alerts} and {@code /api/incidents}.
 */
public final class AlertEvaluator {
    private static final Logger LOG = LoggerFactory.getLogger(AlertEvaluator.class);

    /** Lifecycle state per fingerprint (changelogged). */
    public static final String STATE_STORE = "alert-states";
    /** Global view of the alerts topic: the latest transition per fingerprint. */
    public static final String VIEW_STORE = "alerts-latest";
    /** Open incidents by id (changelogged). */
    public static final String INCIDENT_STORE = "incident-states";
    /** Global view of the incidents topic: the latest transition per incident. */
    public static final String INCIDENT_VIEW_STORE = "incidents-latest";

    private final Topics topics;
    private final AlertEvaluation evaluation;
    private final Duration interval;
    private final Supplier<List<MetricSnapshot>> pipelineSnapshots;
    private final int worstSliceMinN;
    private final IncidentGrouping grouping;

    /**
     * @param incidentMinSeverity least severity that opens an incident ({@link IncidentGrouping})
     * @param worstSliceMinN      minimum n of a slice to count as the worst one ({@link DerivedMetrics})
     */
    public AlertEvaluator(
            Topics topics,
            AlertEvaluation evaluation,
            Alert.Severity incidentMinSeverity,
            Duration interval,
            Supplier<List<MetricSnapshot>> pipelineSnapshots,
            int worstSliceMinN) {
        this.worstSliceMinN = worstSliceMinN;
        this.topics = topics;
        this.evaluation = evaluation;
        this.interval = interval;
        this.pipelineSnapshots = pipelineSnapshots;
        this.grouping = new IncidentGrouping(evaluation::shows, incidentMinSeverity);
    }

    /**
     * Adds the evaluator sub-topology; the snapshot view ({@link MetricSnapshots#addViewTo}) and the scanner
     * inventory's view ({@link ScannerInventory#addViewTo}) must be in the builder.
     */
    public void addTo(StreamsBuilder builder) {
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(STATE_STORE), Serdes.String(), new JsonSerde<>(AlertState.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(INCIDENT_STORE), Serdes.String(), new JsonSerde<>(Incident.class)));
        KStream<String, Object> out = builder.stream(
                        topics.alertClock().name(), topics.alertClock().consumed("alert-clock-source"))
                .process(EvaluatorProcessor::new, Named.as("alert-evaluator"), STATE_STORE, INCIDENT_STORE);
        out.filter((k, v) -> v instanceof Alert, Named.as("alert-transitions"))
                .mapValues(v -> (Alert) v, Named.as("alert-values"))
                .to(topics.alerts().name(), topics.alerts().produced("alerts-sink"));
        out.filter((k, v) -> v instanceof Incident, Named.as("incident-transitions"))
                .mapValues(v -> (Incident) v, Named.as("incident-values"))
                .to(topics.incidents().name(), topics.incidents().produced("incidents-sink"));
    }

    /** Adds the global view of the alerts topic. */
    public void addViewTo(StreamsBuilder builder) {
        builder.globalTable(
                topics.alerts().name(),
                topics.alerts().consumed("alerts-view-source"),
                Materialized.<String, Alert>as(
                                // In memory: a global store is rebuilt from its compacted topic at every start, and a
                                // RocksDB one left open by a SIGKILL stops the global thread under exactly-once
                                // (KAFKA-21034; docs/notes/global-store-after-sigkill.md).
                                Stores.inMemoryKeyValueStore(VIEW_STORE))
                        .withKeySerde(topics.alerts().keySerde())
                        .withValueSerde(topics.alerts().valueSerde()));
        builder.globalTable(
                topics.incidents().name(),
                topics.incidents().consumed("incidents-view-source"),
                Materialized.<String, Incident>as(
                                // In memory: a global store is rebuilt from its compacted topic at every start, and a
                                // RocksDB one left open by a SIGKILL stops the global thread under exactly-once
                                // (KAFKA-21034; docs/notes/global-store-after-sigkill.md).
                                Stores.inMemoryKeyValueStore(INCIDENT_VIEW_STORE))
                        .withKeySerde(topics.incidents().keySerde())
                        .withValueSerde(topics.incidents().valueSerde()));
    }

    /** The values of a global store of this type (a global table's store may hold them with timestamps). */
    private static <T> List<T> values(ReadOnlyKeyValueStore<String, ?> store, Class<T> type) {
        List<T> out = new ArrayList<>();
        try (KeyValueIterator<String, ?> it = store.all()) {
            it.forEachRemaining(kv -> {
                Object v = kv.value instanceof ValueAndTimestamp<?> vt ? vt.value() : kv.value;
                if (type.isInstance(v)) {
                    out.add(type.cast(v));
                }
            });
        }
        return out;
    }

    private final class EvaluatorProcessor implements Processor<String, byte[], String, Object> {
        private ProcessorContext<String, Object> context;
        private KeyValueStore<String, AlertState> states;
        private KeyValueStore<String, Incident> incidents;
        private ReadOnlyKeyValueStore<String, ?> snapshots;
        private ReadOnlyKeyValueStore<String, ?> sightings;

        @Override
        public void init(ProcessorContext<String, Object> context) {
            this.context = context;
            this.states = context.getStateStore(STATE_STORE);
            this.incidents = context.getStateStore(INCIDENT_STORE);
            this.snapshots = context.getStateStore(MetricSnapshots.STORE);
            this.sightings = context.getStateStore(ScannerInventory.VIEW_STORE);
            context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, this::evaluate);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            // The clock topic carries no data; a record here (an operator's test) triggers nothing.
        }

        private void evaluate(long now) {
            List<MetricSnapshot> latest = values(snapshots, MetricSnapshot.class);
            List<MetricSnapshot> all = new ArrayList<>(DerivedMetrics.withDerived(latest, worstSliceMinN));
            all.addAll(pipelineSnapshots.get());
            Map<String, AlertState> current = new HashMap<>();
            try (KeyValueIterator<String, AlertState> it = states.all()) {
                it.forEachRemaining(kv -> current.put(kv.key, kv.value));
            }
            AlertEvaluation.Result result = evaluation.evaluate(all, current, Instant.ofEpochMilli(now));
            result.upserts().forEach(states::put);
            result.removals().forEach(states::delete);
            for (Alert a : result.alerts()) {
                LOG.info(
                        "Alert {} {} rule={} model={} {} slice={}={}",
                        a.status(),
                        a.fingerprint(),
                        a.rule(),
                        a.model().id(),
                        a.model().version(),
                        a.sliceDimension(),
                        a.sliceValue());
                context.forward(new Record<>(a.fingerprint(), a, now));
            }
            result.upserts().forEach(current::put);
            result.removals().forEach(current::remove);
            List<Alert> firing = new ArrayList<>();
            current.values().forEach(st -> {
                if (st.phase() == AlertState.Phase.FIRING) {
                    firing.add(st.firing());
                }
            });
            Map<String, Incident> open = new HashMap<>();
            try (KeyValueIterator<String, Incident> it = incidents.all()) {
                it.forEachRemaining(kv -> open.put(kv.key, kv.value));
            }
            IncidentGrouping.Result round = grouping.round(
                    firing, values(sightings, ScannerSighting.class), all, open, Instant.ofEpochMilli(now));
            round.removals().forEach(incidents::delete);
            round.open().forEach(incidents::put);
            for (Incident i : round.transitions()) {
                LOG.info(
                        "Incident {} {} {} model={} {} root={} alerts={}",
                        i.id(),
                        i.status(),
                        i.transition(),
                        i.model().id(),
                        i.model().version(),
                        i.root(),
                        i.alerts().size());
                context.forward(new Record<>(i.id(), i, now));
            }
        }
    }
}
