package io.vigil.stages;

import io.vigil.aggregates.DriftAggregate;
import io.vigil.config.VigilConfig;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.ModelRef;
import io.vigil.events.Prediction;
import io.vigil.events.ReferenceProfile;
import io.vigil.events.Slice;
import io.vigil.events.SlicedPrediction;
import io.vigil.serde.Json;
import io.vigil.stages.shared.EventDay;
import io.vigil.stages.shared.References;
import io.vigil.state.HeapAggregateStore;
import io.vigil.state.TwoPhaseAggregation;
import io.vigil.stats.ChiSquare;
import io.vigil.stats.DistributionDrift;
import io.vigil.stats.Estimate;
import io.vigil.stats.ReferenceDistribution;
import io.vigil.stats.Wilson;
import io.vigil.topics.Topics;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Distribution drift per model version, slice and window against the version's
 * {@link ReferenceProfile}, without labels.
 *
 * <p>Each prediction updates a {@link DriftAggregate} per slice and UTC day through
 * {@link TwoPhaseAggregation} (partials on the heap per task, one repartition {@code drift-partials}
 * keyed by slice, daily buckets in {@code drift-buckets}). Every snapshot interval the daily buckets of
 * each changed slice are merged into each window ({@code 1d}, {@code 7d}, {@code 30d} by default:
 * the last w days ending at the task's latest day; never recomputed from raw events) and compared with
 * the reference. Every snapshot is {@link MetricSnapshot.Status#FINAL}; {@code window_end} is the start
 * of the day after the latest day.
 *
 * <p>Metrics (snapshot names, see {@code MetricCatalog}): {@code predictions} (n, always);
 * {@code late_records} (the {@code all} slice: records older than the grace period, counted in the
 * latest day's bucket, not aggregated); and, once a reference exists: {@code score_mean} (95% normal
 * interval), {@code score_ks} (estimate = KS distance D, upper = the sketch-aware critical value at
 * {@code drift.alpha}: drift iff estimate &gt; upper; p = asymptotic Kolmogorov p-value),
 * {@code score_psi} (p from the chi-square null), {@code score_js_distance},
 * {@code score_wasserstein} (score units), {@code positive_rate} (Wilson interval, p = two-proportion
 * test against the reference rate), {@code uncertainty_mean}, {@code abstention_rate} (Wilson, p
 * against the reference), per feature {@code feature_mean:f}, {@code feature_ks:f},
 * {@code feature_psi:f}, {@code feature_missing_rate:f}, per attribute
 * {@code attribute_chi_square:a} (p-value), and for {@code scanner}, {@code scanner_model} and
 * {@code software} slices {@code acquisition_change} (1 when the value is absent from the reference's
 * known set, 0 otherwise; not computed for the overflow value {@code other}, nor when the reference
 * recorded no values of that kind, e.g. a validation file without scanner columns).
 *
 * <h2>What each slice is compared against</h2>
 * Scanners, sites and patient groups legitimately differ from the fleet (another vendor's noise
 * level, another case mix), so comparing every slice with the model version's fleet-wide profile
 * reports those differences as drift from the first day. Each slice is therefore compared with its
 * <b>own baseline</b>: its first {@code drift.baseline-days} UTC days (default 14), kept permanently
 * by {@link TwoPhaseAggregation} (see there for late records and restarts). Precisely:
 * <ul>
 *   <li>the {@code all} slice of a version with a published vendor profile ({@code validation_file})
 *       is compared with that profile: it is the deployment's intended baseline;</li>
 *   <li>any other slice (and {@code all} with a burn-in profile or none) gets no drift metrics while
 *       its baseline period is open (only {@code predictions}, {@code late_records} and
 *       {@code acquisition_change}); once it is complete and holds at least
 *       {@code drift.baseline-min-predictions} predictions (default 200: below that the baseline's own
 *       sampling noise, e.g. PSI's null mean of about 9/n, would dominate), each window that does not
 *       overlap the baseline period is compared with the baseline; a window that overlaps it is not
 *       tested (it would be compared partly with itself);</li>
 *   <li>a slice whose complete baseline is too small falls back to the version's reference profile;</li>
 *   <li>{@code drift.baseline-days = 0} turns baselines off: every slice against the reference, as
 *       before.</li>
 * </ul>
 * {@code acquisition_change} always reads the known values of the version's reference profile.
 *
 * <p>Burn-in: a version without a reference learns one (see {@link BurnInRule}) and publishes it to the
 * references topic, where it is durable, visible and replaceable by a vendor profile. Until then only
 * {@code predictions} and {@code late_records} are emitted: no drift against nothing.
 */
public final class ScoreDrift {
    private static final Logger LOG = LoggerFactory.getLogger(ScoreDrift.class);

    /** Base name of this stage's processors, stores and repartition topic. */
    public static final String NAME = "drift";

    /**
     * When a version has no reference, its first {@code predictions} predictions or {@code days} UTC
     * days of the {@code all} slice, whichever comes later, become its reference. Both, because each
     * guards against a different failure: a count alone would let a busy first morning (one shift,
     * one scanner, the weekday case mix) stand for the whole deployment; a duration alone would let a
     * quiet site build a reference from too few predictions to compare anything with. The reference
     * is the shortest run of closed days from the first that has both (a day is closed once it is more
     * than the grace period before the latest day: later records for it are late and not aggregated),
     * so it is the same whenever the check runs: a replay publishes the same reference as the live run.
     *
     * @param enabled     false: versions without a published reference get no drift metrics
     * @param predictions minimum number of predictions
     * @param days        minimum number of UTC days, first to latest inclusive
     */
    public record BurnInRule(boolean enabled, long predictions, int days) {}

    /**
     * The stage's settings.
     *
     * @param windows       window lengths in days, e.g. 1, 7, 30
     * @param graceDays     a record more than this many days before its task's latest day is late
     * @param alpha         significance level of the KS drift decision
     * @param flushInterval wall-clock interval of the partial flush
     * @param snapshotInterval wall-clock interval of the snapshot round
     */
    public record Settings(
            List<Integer> windows,
            int graceDays,
            double alpha,
            Duration flushInterval,
            Duration snapshotInterval,
            BurnInRule burnIn,
            int baselineDays,
            long baselineMinPredictions) {
        /** Without per-slice baselines: every slice against the version's reference. */
        public Settings(
                List<Integer> windows,
                int graceDays,
                double alpha,
                Duration flushInterval,
                Duration snapshotInterval,
                BurnInRule burnIn) {
            this(windows, graceDays, alpha, flushInterval, snapshotInterval, burnIn, 0, 0);
        }

        public Settings {
            if (baselineDays < 0 || baselineMinPredictions < 0) {
                throw new IllegalArgumentException("baseline days and minimum predictions must be >= 0");
            }
            windows = List.copyOf(windows);
            if (windows.isEmpty()) {
                throw new IllegalArgumentException("at least one window is required");
            }
        }

        /** Days of daily buckets kept: longest window or burn-in, plus grace. */
        public int retentionDays() {
            int longest = windows.stream().mapToInt(Integer::intValue).max().orElseThrow();
            return Math.max(longest, burnIn.enabled() ? burnIn.days() : 0) + graceDays;
        }

        public static Settings from(VigilConfig config) {
            return new Settings(
                    VigilConfig.windowDays(config.getList(VigilConfig.DRIFT_WINDOWS)),
                    config.getInt(VigilConfig.DRIFT_GRACE_DAYS),
                    config.getDouble(VigilConfig.DRIFT_ALPHA),
                    Duration.ofMillis(config.getLong(VigilConfig.DRIFT_FLUSH_INTERVAL_MS)),
                    Duration.ofMillis(config.getLong(VigilConfig.DRIFT_SNAPSHOT_INTERVAL_MS)),
                    new BurnInRule(
                            config.getBoolean(VigilConfig.REFERENCE_BURN_IN_ENABLED),
                            config.getLong(VigilConfig.REFERENCE_BURN_IN_PREDICTIONS),
                            config.getInt(VigilConfig.REFERENCE_BURN_IN_DAYS)),
                    config.getInt(VigilConfig.DRIFT_BASELINE_DAYS),
                    config.getLong(VigilConfig.DRIFT_BASELINE_MIN_PREDICTIONS));
        }
    }

    /** A sliced prediction with its UTC day; a late one is counted on {@code day}, the task's latest day. */
    record Input(SlicedPrediction sliced, long day, boolean late) {}

    private final Settings settings;
    private final Topics topics;
    private final References references;
    private final TwoPhaseAggregation<Input, DriftAggregate> aggregation;

    public ScoreDrift(Settings settings, Topics topics, References references) {
        this.settings = settings;
        this.topics = topics;
        this.references = references;
        this.aggregation = new TwoPhaseAggregation<>(
                NAME,
                DriftAggregate.CODEC,
                ScoreDrift::accumulate,
                new Snapshots(),
                settings.flushInterval(),
                settings.snapshotInterval(),
                settings.retentionDays(),
                settings.baselineDays());
    }

    /** Name of the store of per-slice baselines (keys {@code group|firstDay}); for tests. */
    public String baselinesStore() {
        return aggregation.baselinesStore();
    }

    /** Name of the store of daily buckets (for tests and the burn-in). */
    public String bucketsStore() {
        return aggregation.bucketsStore();
    }

    /**
     * Adds the stage: late-record marking, two-phase aggregation, snapshots, burn-in publication to the
     * references topic. The references view ({@link References#addViewTo}) must be in the same builder.
     *
     * @return the drift snapshots, keyed by {@link MetricSnapshot#key()}
     */
    public KStream<String, MetricSnapshot> addTo(StreamsBuilder builder, KStream<String, SlicedPrediction> sliced) {
        KStream<String, Input> marked =
                sliced.processValues(() -> new LateRecords(settings.graceDays()), Named.as(NAME + "-late-records"));
        KStream<String, MetricSnapshot> snapshots = aggregation.addTo(builder, marked);
        if (settings.burnIn().enabled()) {
            snapshots
                    .process(BurnIn::new, Named.as(NAME + "-burn-in"), aggregation.bucketsStore())
                    .to(topics.references().name(), topics.references().produced(NAME + "-burn-in-references-sink"));
        }
        return snapshots;
    }

    static String group(ModelRef model, String dimension, String value) {
        return SlicedPrediction.group(model, dimension, value);
    }

    private static void accumulate(Input in, TwoPhaseAggregation.Buckets<DriftAggregate> buckets) {
        Prediction p = in.sliced().prediction();
        if (in.late()) {
            buckets.update(group(p.model(), Slice.ALL.dimension(), Slice.ALL.value()), in.day())
                    .addLate();
            return;
        }
        List<Slice> slices = in.sliced().slices();
        List<String> groups = in.sliced().groups();
        for (int i = 0; i < slices.size(); i++) {
            boolean all = slices.get(i).dimension().equals(Slice.ALL.dimension());
            buckets.update(groups.get(i), in.day()).add(p, null, all);
        }
    }

    /**
     * Marks records whose day is more than the grace period before the latest day this task has seen.
     * The latest day is per task and starts afresh after a restart (the first records after a restart
     * set it), so lateness is judged against recent traffic, not against a stored clock.
     */
    private static final class LateRecords implements FixedKeyProcessor<String, SlicedPrediction, Input> {
        private final int graceDays;
        private FixedKeyProcessorContext<String, Input> context;
        private long latestDay = Long.MIN_VALUE;

        LateRecords(int graceDays) {
            this.graceDays = graceDays;
        }

        @Override
        public void init(FixedKeyProcessorContext<String, Input> context) {
            this.context = context;
            this.latestDay = Long.MIN_VALUE; // a task revived in the same object starts afresh
        }

        @Override
        public void process(FixedKeyRecord<String, SlicedPrediction> record) {
            long day = EventDay.of(record.value().prediction().occurredAt());
            latestDay = Math.max(latestDay, day);
            boolean late = day < latestDay - graceDays;
            context.forward(record.withValue(new Input(record.value(), late ? latestDay : day, late)));
        }
    }

    /** Window snapshots of one slice; shared by the tasks of an instance, so it keeps no per-task state. */
    private final class Snapshots implements TwoPhaseAggregation.Snapshotter<DriftAggregate> {
        private volatile ReadOnlyKeyValueStore<String, ?> store;
        /** The parsed form of each slice's baseline, rebuilt when its count changes. */
        private final Map<String, CachedBaseline> baselines = new java.util.concurrent.ConcurrentHashMap<>();

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
                String group, NavigableMap<Long, DriftAggregate> days, long currentDay, long computedAtMs) {
            return snapshots(group, days, null, currentDay, computedAtMs);
        }

        @Override
        public List<MetricSnapshot> snapshots(
                String group,
                NavigableMap<Long, DriftAggregate> days,
                TwoPhaseAggregation.Baseline<DriftAggregate> baseline,
                long currentDay,
                long computedAtMs) {
            String[] g = group.split("\\|", 4);
            Optional<References.Parsed> ref = references.lookup(store, ReferenceProfile.key(g[0], g[1]));
            References.Parsed parsed = ref.filter(References.Parsed::isValid).orElse(null);
            boolean vendorAll = g[2].equals(Slice.ALL.dimension())
                    && parsed != null
                    && parsed.profile().source() == ReferenceProfile.Source.VALIDATION_FILE;
            // What the windows are compared with: the version's reference, the slice's own baseline, or nothing yet.
            References.Parsed against = parsed;
            TwoPhaseAggregation.Baseline<DriftAggregate> own = null;
            if (settings.baselineDays() > 0 && !vendorAll) {
                if (baseline == null || !baseline.complete()) {
                    against = null;
                } else if (baseline.aggregate().count() >= Math.max(1, settings.baselineMinPredictions())) {
                    own = baseline;
                    against = baselineReference(group, g, baseline.aggregate(), parsed);
                }
            }
            List<MetricSnapshot> out = new ArrayList<>();
            Instant windowEnd = EventDay.endOf(currentDay);
            Instant computedAt = Instant.ofEpochMilli(computedAtMs);
            for (int w : settings.windows()) {
                DriftAggregate window = DriftAggregate.empty();
                for (DriftAggregate day :
                        days.subMap(currentDay - w + 1, true, currentDay, true).values()) {
                    window.merge(day);
                }
                if (window.count() == 0 && window.late() == 0) {
                    continue;
                }
                Emitter e = new Emitter(g, w + "d", windowEnd, computedAt, out);
                boolean tested = own == null || !own.overlaps(currentDay, w);
                window(e, g[2], g[3], window, tested ? against : null, parsed);
            }
            return out;
        }

        /**
         * The baseline as a reference: its distributions and rates, with the version reference's known
         * acquisition values (acquisition changes are judged against the version, not the slice).
         */
        private References.Parsed baselineReference(
                String group, String[] g, DriftAggregate a, References.Parsed version) {
            CachedBaseline c = baselines.get(group);
            if (c != null && c.source() == a && c.count() == a.count() && c.version() == version) {
                return c.parsed();
            }
            ReferenceProfile p = a.toProfile(
                    new ModelRef(g[0], g[1]), ReferenceProfile.Source.VALIDATION_FILE, Instant.EPOCH, null, null, null);
            if (version != null) {
                ReferenceProfile v = version.profile();
                p = new ReferenceProfile(
                        p.model(),
                        p.source(),
                        p.createdAt(),
                        p.n(),
                        p.burnIn(),
                        p.threshold(),
                        p.score(),
                        p.positives(),
                        p.uncertainty(),
                        p.abstentions(),
                        p.features(),
                        p.attributes(),
                        v.known(),
                        p.labelled());
            } else {
                p = new ReferenceProfile(
                        p.model(),
                        p.source(),
                        p.createdAt(),
                        p.n(),
                        p.burnIn(),
                        p.threshold(),
                        p.score(),
                        p.positives(),
                        p.uncertainty(),
                        p.abstentions(),
                        p.features(),
                        p.attributes(),
                        new ReferenceProfile.Known(Set.of(), Set.of(), Set.of()),
                        p.labelled());
            }
            Map<String, ReferenceDistribution> features = new TreeMap<>();
            a.features().forEach((name, s) -> {
                if (s.n() > 0) {
                    features.put(name, ReferenceDistribution.fromHistogram(s.histogram(), DriftAggregate.BINS));
                }
            });
            References.Parsed parsed = new References.Parsed(
                    p, ReferenceDistribution.fromHistogram(a.score(), DriftAggregate.BINS), Map.copyOf(features));
            baselines.put(group, new CachedBaseline(a, a.count(), version, parsed));
            return parsed;
        }

        /**
         * @param ref     what the window is compared with; null: no comparison (no reference, or a
         *                baseline still open or overlapping the window)
         * @param version the version's reference, for acquisition changes
         */
        private void window(
                Emitter e,
                String dimension,
                String value,
                DriftAggregate a,
                References.Parsed ref,
                References.Parsed version) {
            long n = a.count();
            boolean all = dimension.equals(Slice.ALL.dimension());
            e.emit("predictions", n, null, null, n, null);
            if (all) {
                e.emit("late_records", a.late(), null, null, n, null);
            }
            if (version != null && n > 0) {
                acquisitionChange(e, dimension, value, n, version.profile());
            }
            if (ref == null || n == 0) {
                return;
            }
            ReferenceProfile p = ref.profile();
            DistributionDrift.Report score = DistributionDrift.compare(ref.score(), a.score(), settings.alpha());
            e.mean("score_mean", a.scoreSum(), a.scoreSumSquares(), n);
            e.emit("score_ks", score.ks(), null, score.ksThreshold(), n, score.ksPValue());
            e.emit("score_psi", score.psi(), null, null, n, score.psiPValue());
            e.emit("score_js_distance", score.jensenShannon(), null, null, n, null);
            e.emit("score_wasserstein", score.wasserstein1(), null, null, n, null);
            e.rate(
                    "positive_rate",
                    a.positives(),
                    n,
                    Wilson.twoProportionPValue(a.positives(), n, p.positives(), p.n()));
            if (a.uncertaintyN() > 0) {
                e.mean("uncertainty_mean", a.uncertaintySum(), a.uncertaintySumSquares(), a.uncertaintyN());
            }
            if (a.abstainedN() > 0) {
                Double pv = p.abstentions() == null
                        ? null
                        : Wilson.twoProportionPValue(
                                a.abstentions(),
                                a.abstainedN(),
                                p.abstentions().count(),
                                p.abstentions().n());
                e.rate("abstention_rate", a.abstentions(), a.abstainedN(), pv);
            }
            Set<String> features = new HashSet<>(a.features().keySet());
            features.addAll(p.features().keySet());
            for (String f : features) {
                feature(e, f, a, p.features().get(f), ref.features().get(f));
            }
            for (Map.Entry<String, Map<String, Long>> attr : p.attributes().entrySet()) {
                Map<String, Long> current = a.attributes().get(attr.getKey());
                if (current == null) {
                    continue;
                }
                ChiSquare.Result<String> chi = ChiSquare.test(attr.getValue(), current);
                long nAttr =
                        current.values().stream().mapToLong(Long::longValue).sum();
                if (!chi.isEmpty()) {
                    e.emit("attribute_chi_square:" + attr.getKey(), chi.statistic(), null, null, nAttr, chi.pValue());
                }
            }
        }

        private void acquisitionChange(Emitter e, String dimension, String value, long n, ReferenceProfile p) {
            if (Set.of("scanner", "scanner_model", "software").contains(dimension)
                    && !value.equals(Slice.OTHER)
                    && p.known().knows(dimension)) {
                e.emit("acquisition_change", p.known().contains(dimension, value) ? 0 : 1, null, null, n, null);
            }
        }

        private void feature(
                Emitter e,
                String name,
                DriftAggregate a,
                ReferenceProfile.Feature refFeature,
                ReferenceDistribution refDist) {
            long n = a.count();
            DriftAggregate.FeatureState s = a.features().get(name);
            long present = s == null ? 0 : s.n();
            Double missingP = refFeature == null
                    ? null
                    : Wilson.twoProportionPValue(n - present, n, refFeature.missing(), refFeature.total());
            e.rate("feature_missing_rate:" + name, n - present, n, missingP);
            if (present == 0) {
                return;
            }
            e.mean("feature_mean:" + name, s.sum(), s.sumSquares(), present);
            if (refDist != null) {
                DistributionDrift.Report r = DistributionDrift.compare(refDist, s.histogram(), settings.alpha());
                e.emit("feature_ks:" + name, r.ks(), null, r.ksThreshold(), present, r.ksPValue());
                e.emit("feature_psi:" + name, r.psi(), null, null, present, r.psiPValue());
            }
        }
    }

    /** A slice's baseline in parsed form, valid for the baseline count and version reference it was built from. */
    private record CachedBaseline(
            DriftAggregate source, long count, References.Parsed version, References.Parsed parsed) {}

    /** Builds the snapshots of one slice and window; drops undefined values rather than writing NaN. */
    private record Emitter(
            String[] group, String window, Instant windowEnd, Instant computedAt, List<MetricSnapshot> out) {
        void emit(String metric, double estimate, Double lower, Double upper, long n, Double pValue) {
            if (!Double.isFinite(estimate)) {
                return;
            }
            out.add(new MetricSnapshot(
                    group[0],
                    group[1],
                    group[2],
                    group[3],
                    window,
                    windowEnd,
                    metric,
                    estimate,
                    finite(lower),
                    finite(upper),
                    n,
                    finite(pValue),
                    MetricSnapshot.Status.FINAL,
                    computedAt));
        }

        /** A mean with its 95% normal interval from the sum and sum of squares. */
        void mean(String metric, double sum, double sumSquares, long n) {
            double mean = sum / n;
            double variance = n > 1 ? Math.max(0, (sumSquares - n * mean * mean) / (n - 1)) : Double.NaN;
            double half = Estimate.Z95 * Math.sqrt(variance / n);
            emit(metric, mean, mean - half, mean + half, n, null);
        }

        /** A proportion with its Wilson interval. */
        void rate(String metric, long k, long n, Double pValue) {
            Estimate w = Wilson.interval(k, n);
            emit(metric, w.value(), w.lower(), w.upper(), n, pValue);
        }

        private static Double finite(Double v) {
            return v == null || !Double.isFinite(v) ? null : Math.min(Math.max(v, -Double.MAX_VALUE), Double.MAX_VALUE);
        }
    }

    /**
     * After each snapshot round of a version's {@code all} slice without a reference: when the burn-in
     * rule is met, merges the retained daily buckets of the {@code all} slice into a profile and sends
     * it to the references topic. Shares the buckets store with the merge processor (same task).
     */
    private final class BurnIn implements Processor<String, MetricSnapshot, String, byte[]> {
        private ProcessorContext<String, byte[]> context;
        private HeapAggregateStore<DriftAggregate> buckets;
        private ReadOnlyKeyValueStore<String, ?> refs;
        private final Set<String> published = new HashSet<>();
        private final Map<String, Instant> checked = new HashMap<>();

        @Override
        public void init(ProcessorContext<String, byte[]> context) {
            this.context = context;
            this.buckets = context.getStateStore(aggregation.bucketsStore());
            this.refs = References.store(context);
        }

        @Override
        public void process(Record<String, MetricSnapshot> record) {
            MetricSnapshot s = record.value();
            if (!s.metric().equals("predictions") || !s.sliceDimension().equals(Slice.ALL.dimension())) {
                return;
            }
            String key = ReferenceProfile.key(s.model(), s.version());
            if (s.computedAt().equals(checked.put(key, s.computedAt()))
                    || published.contains(key)
                    || References.raw(refs, key) != null) {
                return;
            }
            String group = group(new ModelRef(s.model(), s.version()), Slice.ALL.dimension(), Slice.ALL.value());
            TreeMap<Long, DriftAggregate> days = new TreeMap<>();
            buckets.all().forEach((bucketKey, a) -> {
                if (TwoPhaseAggregation.groupOf(bucketKey).equals(group)) {
                    days.put(TwoPhaseAggregation.dayOf(bucketKey), a);
                }
            });
            if (days.isEmpty()) {
                return;
            }
            // Only closed days: a day more than the grace period before the latest day takes no more records
            // (they are late), so the profile is the same whatever the wall-clock moment of this check. The
            // shortest run of closed days from the first that meets the rule, not every day seen so far.
            long latest = EventDay.of(s.windowEnd()) - 1;
            long closedThrough = latest - settings.graceDays() - 1;
            BurnInRule rule = settings.burnIn();
            DriftAggregate merged = DriftAggregate.empty();
            long first = days.firstKey();
            long last = Long.MIN_VALUE;
            for (Map.Entry<Long, DriftAggregate> day :
                    days.headMap(closedThrough, true).entrySet()) {
                merged.merge(day.getValue());
                if (day.getKey() - first + 1 >= rule.days() && merged.count() >= rule.predictions()) {
                    last = day.getKey();
                    break;
                }
            }
            if (last == Long.MIN_VALUE) {
                return;
            }
            ReferenceProfile profile = merged.toProfile(
                    new ModelRef(s.model(), s.version()),
                    ReferenceProfile.Source.BURN_IN,
                    s.computedAt(),
                    new ReferenceProfile.BurnIn(
                            rule.predictions(), rule.days(), LocalDate.ofEpochDay(first), LocalDate.ofEpochDay(last)),
                    null,
                    null);
            try {
                context.forward(new Record<>(key, Json.writer().writeValueAsBytes(profile), record.timestamp()));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("cannot serialise the burn-in profile of " + key, e);
            }
            published.add(key);
            LOG.info(
                    "Published burn-in reference for {}: {} predictions over {} days",
                    key,
                    merged.count(),
                    last - first + 1);
        }
    }
}
