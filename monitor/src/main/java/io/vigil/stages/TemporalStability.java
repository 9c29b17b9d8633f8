package io.vigil.stages;

import io.vigil.aggregates.StabilityAggregate;
import io.vigil.config.VigilConfig;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.ModelRef;
import io.vigil.events.Prediction;
import io.vigil.events.ReferenceProfile;
import io.vigil.events.Slice;
import io.vigil.events.SlicedPrediction;
import io.vigil.serde.JsonSerde;
import io.vigil.stages.shared.EventDay;
import io.vigil.stages.shared.References;
import io.vigil.stages.shared.SnapshotBuilder;
import io.vigil.stages.shared.SubjectKeys;
import io.vigil.state.TwoPhaseAggregation;
import io.vigil.stats.Cusum;
import io.vigil.stats.DailyCusumSeries;
import io.vigil.stats.Wilson;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import javax.crypto.Mac;
import org.apache.commons.statistics.distribution.NormalDistribution;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Temporal stability: for the same pseudonymous subject seen again by the same model version within
 * the repeat interval, the absolute score change and whether the decision flipped; per slice and
 * window the flip rate and score-change quantiles, and a CUSUM on the daily flip rate.
 *
 * <h2>Subject keys</h2>
 * The first processor replaces {@code subject_key} with HMAC-SHA256(secret, subject_key) in hex
 * ({@code stability.subject-key-secret}) and drops everything else that identifies the study: the
 * repartition {@code stability-by-subject} (keyed {@code model|version|hmac}) carries only the model,
 * score, decision, event time and slices. The raw key never reaches a topic, a store or a log, and
 * no snapshot names a subject. Predictions without a {@code subject_key} are counted
 * ({@code predictions_without_subject}) and skipped.
 *
 * <h2>Pairs</h2>
 * Store {@code stability-last} keeps, per hashed subject and version, the latest prediction (score,
 * decision, event time). A prediction within {@code stability.repeat-interval-days} of it (either
 * side, in event time) forms a pair, attributed to the arriving prediction's slices and UTC day; the
 * later of the two stays as the last prediction. State expires through an event-time index
 * ({@code stability-expiry}, keyed by zero-padded time then subject, scanned as a range up to
 * stream time minus the interval on a stream-time punctuation, never a full scan); a lookup also
 * ignores a last prediction older than the interval, so results do not depend on when the
 * punctuation runs.
 *
 * <h2>Snapshots</h2>
 * Per slice and window ({@code stability.windows}): {@code flip_rate} (Wilson interval, n = pairs;
 * p-value of the one-sample z test against the reference flip rate when the version's profile
 * declares one as the labelled target {@code flip_rate}, else none), {@code score_change:0.5} and
 * {@code score_change:0.9} (see {@link StabilityAggregate}; no reference, no p-value),
 * {@code predictions_without_subject}. Per slice over {@code detection.history-days}:
 * {@code cusum:flip_rate} (and its alarm and change start) when the reference flip rate is known,
 * each day's flips scored by their randomised binomial quantile against f0 ({@link Cusum#binomialScore}, the
 * randomisation reproducible from the slice and day, {@link Cusum#dayUniform}): exactly standard normal while the
 * rate is f0, however few pairs a day, so the CUSUM keeps its configured ARL0 (the standardised rate
 * (f - f0)/sqrt(f0(1 - f0)/pairs) used before alarmed at 675 days of 3,650 at 5 pairs a day;
 * {@code io.vigil.verification.RunLengthClaims#flipRate}). All FINAL. Intervals assume independent pairs.
 */
public final class TemporalStability {
    /** Base name of this stage's processors, stores and topics. */
    public static final String NAME = "stability";
    /** The labelled target of a reference profile read as its flip rate. */
    public static final String REFERENCE_FLIP_RATE = "flip_rate";

    static final String LAST_STORE = NAME + "-last";
    static final String EXPIRY_STORE = NAME + "-expiry";
    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);

    /**
     * The stage's settings.
     *
     * @param secret              HMAC key for subject keys
     * @param repeatIntervalDays  pairing interval and state expiry, in days
     */
    public record Settings(
            String secret,
            int repeatIntervalDays,
            List<Integer> windows,
            int historyDays,
            double arl0Days,
            double shift,
            Duration flushInterval,
            Duration snapshotInterval) {
        public Settings {
            Objects.requireNonNull(secret, "secret");
            windows = List.copyOf(windows);
            if (windows.isEmpty()) {
                throw new IllegalArgumentException("at least one window is required");
            }
        }

        @Override
        public String toString() {
            return "Settings[secret=(hidden), repeatIntervalDays=" + repeatIntervalDays + ", windows=" + windows + "]";
        }

        public static Settings from(VigilConfig config) {
            return new Settings(
                    config.getPassword(VigilConfig.STABILITY_SUBJECT_KEY_SECRET).value(),
                    config.getInt(VigilConfig.STABILITY_REPEAT_INTERVAL_DAYS),
                    VigilConfig.windowDays(config.getList(VigilConfig.STABILITY_WINDOWS)),
                    config.getInt(VigilConfig.DETECTION_HISTORY_DAYS),
                    config.getDouble(VigilConfig.DETECTION_ARL0_DAYS),
                    config.getDouble(VigilConfig.DETECTION_SHIFT),
                    Duration.ofMillis(config.getLong(VigilConfig.DRIFT_FLUSH_INTERVAL_MS)),
                    Duration.ofMillis(config.getLong(VigilConfig.DRIFT_SNAPSHOT_INTERVAL_MS)));
        }
    }

    /** What crosses the by-subject repartition: no subject key, no study or prediction id. */
    public record Repeat(ModelRef model, double score, boolean positive, Instant at, List<Slice> slices) {
        public Repeat {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(at, "at");
            slices = List.copyOf(slices);
        }
    }

    /** What an aggregation input is. */
    enum Kind {
        PAIR,
        SINGLE,
        WITHOUT_SUBJECT
    }

    /** One input of the aggregation: a repeat pair, a keyed prediction without pair, or one without subject key. */
    record Event(ModelRef model, List<Slice> slices, long day, Kind kind, double change, boolean flipped) {}

    private final Settings settings;
    private final References references;
    private final Cusum cusum;
    private final TwoPhaseAggregation<Event, StabilityAggregate> aggregation;

    public TemporalStability(Settings settings, References references) {
        this.settings = settings;
        this.references = references;
        this.cusum = Cusum.forShift(settings.shift(), settings.arl0Days(), Cusum.Side.TWO_SIDED);
        this.aggregation = new TwoPhaseAggregation<>(
                NAME,
                StabilityAggregate.CODEC,
                TemporalStability::accumulate,
                new Snapshots(),
                settings.flushInterval(),
                settings.snapshotInterval(),
                Math.max(
                        settings.windows().stream()
                                .mapToInt(Integer::intValue)
                                .max()
                                .orElseThrow(),
                        settings.historyDays()));
    }

    /** HMAC-SHA256 of a subject key under {@code secret}, lower-case hex ({@link SubjectKeys#pseudonym}). */
    public static String pseudonym(Mac mac, String subjectKey) {
        return SubjectKeys.pseudonym(mac, subjectKey);
    }

    /** A fresh HMAC-SHA256 instance keyed with {@code secret} ({@link SubjectKeys#hmac}). */
    public static Mac hmac(String secret) {
        return SubjectKeys.hmac(secret);
    }

    /**
     * Adds the stage. The references view ({@link References#addViewTo}) must be in the same builder.
     *
     * @return the stability snapshots, keyed by {@link MetricSnapshot#key()}
     */
    public KStream<String, MetricSnapshot> addTo(StreamsBuilder builder, KStream<String, SlicedPrediction> sliced) {
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(LAST_STORE), Serdes.String(), Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(EXPIRY_STORE), Serdes.String(), Serdes.ByteArray()));
        Map<String, KStream<String, SlicedPrediction>> branches = sliced.split(Named.as(NAME + "-"))
                .branch((k, v) -> v.prediction().subjectKey() != null, Branched.as("keyed"))
                .defaultBranch(Branched.as("without-subject"));
        KStream<String, Event> pairs = branches.get(NAME + "-keyed")
                .process(Pseudonymise::new, Named.as(NAME + "-pseudonymise"))
                .repartition(Repartitioned.with(Serdes.String(), new JsonSerde<>(Repeat.class))
                        .withName(NAME + "-by-subject"))
                .process(Pairing::new, Named.as(NAME + "-pair"), LAST_STORE, EXPIRY_STORE);
        KStream<String, Event> withoutSubject = branches.get(NAME + "-without-subject")
                .mapValues(
                        v -> new Event(
                                v.prediction().model(),
                                v.slices(),
                                EventDay.of(v.prediction().occurredAt()),
                                Kind.WITHOUT_SUBJECT,
                                0,
                                false),
                        Named.as(NAME + "-count-without-subject"));
        return aggregation.addTo(builder, pairs.merge(withoutSubject, Named.as(NAME + "-events")));
    }

    private static void accumulate(Event e, TwoPhaseAggregation.Buckets<StabilityAggregate> buckets) {
        for (Slice s : e.slices()) {
            StabilityAggregate a = buckets.update(SlicedPrediction.group(e.model(), s.dimension(), s.value()), e.day());
            switch (e.kind()) {
                case PAIR -> a.addPair(e.change(), e.flipped());
                case WITHOUT_SUBJECT -> a.addWithoutSubject();
                case SINGLE -> {} // the bucket exists: the day counts as seen
            }
        }
    }

    /** Replaces the subject key by its HMAC; nothing else identifying goes on. */
    private final class Pseudonymise implements Processor<String, SlicedPrediction, String, Repeat> {
        private ProcessorContext<String, Repeat> context;
        private Mac mac;

        @Override
        public void init(ProcessorContext<String, Repeat> context) {
            this.context = context;
            this.mac = hmac(settings.secret());
        }

        @Override
        public void process(Record<String, SlicedPrediction> record) {
            Prediction p = record.value().prediction();
            String key = p.model().id() + "|" + p.model().version() + "|" + pseudonym(mac, p.subjectKey());
            context.forward(new Record<>(
                    key,
                    new Repeat(
                            p.model(),
                            p.score(),
                            p.predictedPositive(),
                            p.occurredAt(),
                            record.value().slices()),
                    record.timestamp()));
        }
    }

    /** Pairs a prediction with its subject's last one; keeps the later; expires by an event-time index. */
    private final class Pairing implements Processor<String, Repeat, String, Event> {
        private ProcessorContext<String, Event> context;
        private KeyValueStore<String, byte[]> last;
        private KeyValueStore<String, byte[]> expiry;
        private final long intervalMs = settings.repeatIntervalDays() * EventDay.MS_PER_DAY;

        @Override
        public void init(ProcessorContext<String, Event> context) {
            this.context = context;
            this.last = context.getStateStore(LAST_STORE);
            this.expiry = context.getStateStore(EXPIRY_STORE);
            context.schedule(Duration.ofHours(1), PunctuationType.STREAM_TIME, this::expire);
        }

        @Override
        public void process(Record<String, Repeat> record) {
            Repeat r = record.value();
            long t = r.at().toEpochMilli();
            byte[] stored = last.get(record.key());
            ByteBuffer prev = stored == null ? null : ByteBuffer.wrap(stored);
            double prevScore = prev == null ? 0 : prev.getDouble();
            boolean prevPositive = prev != null && prev.get() == 1;
            long prevT = prev == null ? Long.MIN_VALUE : prev.getLong();
            boolean pair = prev != null && Math.abs(t - prevT) <= intervalMs;
            // Every keyed prediction goes on (a single one counts nothing) so the stage's latest day, where
            // windows end, follows the predictions rather than the last pair.
            context.forward(new Record<>(
                    record.key(),
                    new Event(
                            r.model(),
                            r.slices(),
                            EventDay.of(r.at()),
                            pair ? Kind.PAIR : Kind.SINGLE,
                            pair ? Math.abs(r.score() - prevScore) : 0,
                            pair && r.positive() != prevPositive),
                    record.timestamp()));
            if (prev == null || t >= prevT) {
                if (prev != null) {
                    expiry.delete(indexKey(prevT, record.key()));
                }
                last.put(
                        record.key(),
                        ByteBuffer.allocate(17)
                                .putDouble(r.score())
                                .put((byte) (r.positive() ? 1 : 0))
                                .putLong(t)
                                .array());
                expiry.put(indexKey(t, record.key()), new byte[0]);
            }
        }

        private void expire(long streamTime) {
            long cutoff = streamTime - intervalMs;
            if (cutoff <= 0) {
                return;
            }
            List<String> expired = new ArrayList<>();
            try (KeyValueIterator<String, byte[]> it = expiry.range(indexKey(0, ""), String.format("%019d", cutoff))) {
                while (it.hasNext()) {
                    expired.add(it.next().key);
                }
            }
            for (String indexKey : expired) {
                expiry.delete(indexKey);
                last.delete(indexKey.substring(20));
            }
        }
    }

    /** Index key: event time zero-padded to 19 digits (so byte order is time order), then the hashed key. */
    static String indexKey(long timeMs, String key) {
        return String.format("%019d|%s", timeMs, key);
    }

    private final class Snapshots implements TwoPhaseAggregation.Snapshotter<StabilityAggregate> {
        private volatile ReadOnlyKeyValueStore<String, ?> store;

        @Override
        public void init(ProcessorContext<String, MetricSnapshot> context) {
            store = References.store(context);
        }

        @Override
        public Object inputsBesideBuckets(String group) {
            return references.ofGroup(store, group);
        }

        @Override
        public List<MetricSnapshot> snapshots(
                String group, NavigableMap<Long, StabilityAggregate> days, long currentDay, long computedAtMs) {
            String[] g = group.split("\\|", 4);
            Double f0 = references
                    .lookup(store, ReferenceProfile.key(g[0], g[1]))
                    .filter(References.Parsed::isValid)
                    .map(p -> p.profile().labelled())
                    .map(l -> l.targets().get(REFERENCE_FLIP_RATE))
                    .filter(f -> f > 0 && f < 1)
                    .orElse(null);
            List<MetricSnapshot> out = new ArrayList<>();
            Instant windowEnd = EventDay.endOf(currentDay);
            Instant computedAt = Instant.ofEpochMilli(computedAtMs);
            for (int w : settings.windows()) {
                StabilityAggregate a = StabilityAggregate.empty();
                days.subMap(currentDay - w + 1, true, currentDay, true).values().forEach(a::merge);
                if (a.pairs() == 0 && a.withoutSubject() == 0) {
                    continue;
                }
                SnapshotBuilder b = new SnapshotBuilder(g, w + "d", windowEnd, computedAt, out);
                b.emit("predictions_without_subject", a.withoutSubject(), null, null, a.withoutSubject(), null);
                if (a.pairs() > 0) {
                    b.estimate(
                            "flip_rate",
                            Wilson.interval(a.flips(), a.pairs()),
                            f0 == null ? null : oneSamplePValue(a.flips(), a.pairs(), f0));
                    b.emit("score_change:0.5", a.changeQuantile(0.5), null, null, a.pairs(), null);
                    b.emit("score_change:0.9", a.changeQuantile(0.9), null, null, a.pairs(), null);
                }
            }
            if (f0 != null) {
                DailyCusumSeries flips = new DailyCusumSeries();
                for (Map.Entry<Long, StabilityAggregate> d : days.subMap(
                                currentDay - settings.historyDays() + 1, true, currentDay, true)
                        .entrySet()) {
                    if (d.getValue().pairs() > 0) {
                        flips.add(
                                d.getKey(),
                                Cusum.binomialScore(
                                        d.getValue().flips(),
                                        d.getValue().pairs(),
                                        f0,
                                        Cusum.dayUniform(group, d.getKey())));
                    }
                }
                if (!flips.isEmpty()) {
                    new SnapshotBuilder(g, settings.historyDays() + "d", windowEnd, computedAt, out)
                            .cusum("flip_rate", flips.run(cusum), flips.days());
                }
            }
            return out;
        }
    }

    /** Two-sided p-value of the one-sample z test of k/n against a known rate p0 in (0, 1). */
    static double oneSamplePValue(long k, long n, double p0) {
        double z = Cusum.standardisedRate(k, n, p0);
        return Math.min(1.0, 2 * STANDARD_NORMAL.survivalProbability(Math.abs(z)));
    }
}
