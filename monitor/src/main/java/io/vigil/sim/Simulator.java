package io.vigil.sim;

import io.vigil.events.Demographics;
import io.vigil.events.GroundTruth;
import io.vigil.events.ModelRef;
import io.vigil.events.Prediction;
import io.vigil.events.Scanner;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A deterministic hospital-network simulator: for a {@link Scenario}, a seed, a start date and a number
 * of days, the predictions of {@code [start, start + days)} (UTC) ordered by {@code occurred_at},
 * merged with their ground-truth labels ordered by {@code observed_at}. Ties put predictions first,
 * so a label never precedes its prediction.
 *
 * <p><b>Determinism.</b> The same scenario, seed, start, days and options give the same events, byte
 * for byte once serialised. Each scanner draws from its own {@link java.util.SplittableRandom} streams
 * seeded from the run seed and its site and scanner alias only, so adding, removing or reordering a
 * scanner does not change any other scanner's events (prediction ids included: they are
 * {@code p-<seed hex>-<scanner alias>-<per-scanner counter hex>}). A scheduled software update changes
 * only the scores, predicted labels, features and label verification of its scanner after the update;
 * arrivals, subjects and true labels stay the same.
 *
 * <p><b>Memory.</b> Events are generated lazily: memory holds only pending repeat studies and labels
 * not yet observed (arrival rate × verified fraction × mean delay).
 *
 * <p><b>Time.</b> Event times are simulated, not wall-clock. Labels observed at or after
 * {@code start + days + labelHorizon} are not emitted (default horizon zero), so with a start date of
 * today minus {@code days} nothing lies in the future: Vigil dead-letters events whose time is more
 * than {@code ingest.max-future-skew} ahead of its wall clock.
 */
public final class Simulator implements Iterable<SimEvent> {
    private final Scenario scenario;
    private final long seed;
    private final LocalDate start;
    private final int days;
    private final Duration labelHorizon;
    private final long maxPredictions;

    private Simulator(
            Scenario scenario, long seed, LocalDate start, int days, Duration labelHorizon, long maxPredictions) {
        if (scenario == null || start == null || labelHorizon == null) {
            throw new NullPointerException("scenario, start and labelHorizon are required");
        }
        if (days < 1) {
            throw new IllegalArgumentException("days must be >= 1, was " + days);
        }
        if (labelHorizon.isNegative()) {
            throw new IllegalArgumentException("labelHorizon must be >= 0, was " + labelHorizon);
        }
        if (maxPredictions < 0) {
            throw new IllegalArgumentException("maxPredictions must be >= 0, was " + maxPredictions);
        }
        this.scenario = scenario;
        this.seed = seed;
        this.start = start;
        this.days = days;
        this.labelHorizon = labelHorizon;
        this.maxPredictions = maxPredictions;
    }

    /** The event stream of {@code scenario} from {@code start} for {@code days} days; see the class docs. */
    public static Stream<SimEvent> of(Scenario scenario, long seed, LocalDate start, int days) {
        return create(scenario, seed, start, days).stream();
    }

    /** A simulator with no label horizon and no prediction limit; use the {@code with...} methods to change. */
    public static Simulator create(Scenario scenario, long seed, LocalDate start, int days) {
        return new Simulator(scenario, seed, start, days, Duration.ZERO, Long.MAX_VALUE);
    }

    /** A copy that also emits labels observed up to {@code horizon} after the last simulated day. */
    public Simulator withLabelHorizon(Duration horizon) {
        return new Simulator(scenario, seed, start, days, horizon, maxPredictions);
    }

    /**
     * A copy that stops generating predictions after {@code max} of them; labels of those
     * predictions are still emitted up to the label horizon.
     */
    public Simulator withMaxPredictions(long max) {
        return new Simulator(scenario, seed, start, days, labelHorizon, max);
    }

    /** Start of the first simulated day (inclusive). */
    public Instant start() {
        return start.atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /** End of the last simulated day (exclusive): no prediction at or after it. */
    public Instant end() {
        return start().plus(Duration.ofDays(days));
    }

    /** End of label emission (exclusive): {@link #end()} plus the label horizon. */
    public Instant labelEnd() {
        return end().plus(labelHorizon);
    }

    /** A fresh iterator over the whole run; every call replays the same events. */
    @Override
    public Iterator<SimEvent> iterator() {
        return new Merge(streams(), maxPredictions);
    }

    /** The events as a sequential, ordered stream. */
    public Stream<SimEvent> stream() {
        return StreamSupport.stream(
                Spliterators.spliteratorUnknownSize(
                        iterator(), Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.IMMUTABLE),
                false);
    }

    private List<ScannerStream> streams() {
        long startMs = start().toEpochMilli();
        long endMs = end().toEpochMilli();
        Scenario.DemographicsMix mix = scenario.demographics();
        String[] sexes = mix.sex().keySet().toArray(String[]::new);
        String[] ages = mix.ageBand().keySet().toArray(String[]::new);
        Demographics[][] demographics = new Demographics[sexes.length][ages.length];
        for (int i = 0; i < sexes.length; i++) {
            for (int j = 0; j < ages.length; j++) {
                demographics[i][j] = new Demographics(sexes[i], ages[j]);
            }
        }
        double[] hours = scenario.hourlyProfile().stream()
                .mapToDouble(Double::doubleValue)
                .toArray();
        ScannerStream.Context ctx = new ScannerStream.Context(
                seed,
                startMs,
                endMs,
                labelEnd().toEpochMilli(),
                new ModelRef(scenario.model().id(), scenario.model().version()),
                scenario.model().threshold(),
                hours,
                sexes,
                cumulative(mix.sex()),
                ages,
                cumulative(mix.ageBand()),
                demographics,
                scenario.repeats(),
                scenario.labels());

        List<ScannerStream> out = new ArrayList<>();
        for (Scenario.SiteSpec site : scenario.sites()) {
            for (Scenario.ScannerSpec spec : site.scanners()) {
                out.add(stream(out.size(), site.id(), spec, startMs, ctx));
            }
        }
        for (ScheduledEvent e : scenario.events()) {
            if (e instanceof ScheduledEvent.NewScanner n) {
                out.add(stream(out.size(), n.site(), n.scanner(), dayMs(startMs, n.day()), ctx));
            }
        }
        return out;
    }

    private ScannerStream stream(
            int ordinal, String siteId, Scenario.ScannerSpec spec, long activeFromMs, ScannerStream.Context ctx) {
        double initialPrevalence = scenario.sites().stream()
                .filter(s -> s.id().equals(siteId))
                .map(Scenario.SiteSpec::prevalence)
                .filter(p -> p != null)
                .findFirst()
                .orElse(scenario.prevalence());
        List<ScannerStream.PrevalenceStep> prevalence = new ArrayList<>();
        prevalence.add(new ScannerStream.PrevalenceStep(Long.MIN_VALUE, initialPrevalence));
        List<ScheduledEvent.PrevalenceChange> changes = new ArrayList<>();
        for (ScheduledEvent e : scenario.events()) {
            if (e instanceof ScheduledEvent.PrevalenceChange p
                    && (p.site() == null || p.site().equals(siteId))) {
                changes.add(p);
            }
        }
        changes.sort(Comparator.comparingDouble(ScheduledEvent.PrevalenceChange::day));
        for (ScheduledEvent.PrevalenceChange p : changes) {
            prevalence.add(new ScannerStream.PrevalenceStep(dayMs(ctx.startMs(), p.day()), p.prevalence()));
        }

        ScoreModel model = (spec.scoreModel() == null ? scenario.scoreModel() : spec.scoreModel())
                .withDefaultPrior(scenario.prevalence());
        List<Map.Entry<String, FeatureDistribution>> features =
                ScannerStream.mergeFeatures(scenario.features(), spec.features());
        List<ScannerStream.State> states = new ArrayList<>();
        states.add(
                new ScannerStream.State(Long.MIN_VALUE, scanner(spec, spec.softwareVersion()), model, 0.0, features));
        List<ScheduledEvent.SoftwareUpdate> updates = new ArrayList<>();
        for (ScheduledEvent e : scenario.events()) {
            if (e instanceof ScheduledEvent.SoftwareUpdate u && u.scanner().equals(spec.id())) {
                updates.add(u);
            }
        }
        updates.sort(Comparator.comparingDouble(ScheduledEvent.SoftwareUpdate::day));
        for (ScheduledEvent.SoftwareUpdate u : updates) {
            model = new ScoreModel(
                    u.separation() == null ? model.separation() : u.separation(),
                    model.prior(),
                    u.calibration() == null ? model.calibration() : u.calibration());
            Map<String, FeatureDistribution> current = new java.util.TreeMap<>();
            features.forEach(f -> current.put(f.getKey(), f.getValue()));
            features = ScannerStream.mergeFeatures(current, u.features());
            states.add(new ScannerStream.State(
                    dayMs(ctx.startMs(), u.day()),
                    scanner(spec, u.softwareVersion()),
                    model,
                    u.latentShift(),
                    features));
        }
        return new ScannerStream(ordinal, siteId, spec, activeFromMs, ctx, states, prevalence);
    }

    private static Scanner scanner(Scenario.ScannerSpec spec, String softwareVersion) {
        return new Scanner(
                spec.id(), spec.manufacturer(), spec.model(), softwareVersion, spec.modality(), spec.bodyPart());
    }

    private static long dayMs(long startMs, double day) {
        return startMs + Math.round(day * ScannerStream.DAY_MS);
    }

    private static double[] cumulative(Map<String, Double> weights) {
        double[] c = new double[weights.size()];
        double acc = 0;
        int i = 0;
        for (double w : weights.values()) {
            acc += w;
            c[i++] = acc;
        }
        return c;
    }

    /** Merges the scanners' predictions and the pending labels by event time. */
    private static final class Merge implements Iterator<SimEvent> {
        private record PendingLabel(long timeMs, long seq, GroundTruth label) {}

        private final PriorityQueue<ScannerStream> scanners = new PriorityQueue<>(
                Comparator.comparingLong(ScannerStream::peekTime).thenComparingInt(ScannerStream::ordinal));
        private final PriorityQueue<PendingLabel> labels = new PriorityQueue<>(
                Comparator.comparingLong(PendingLabel::timeMs).thenComparingLong(PendingLabel::seq));
        private final long maxPredictions;
        private long predictions;
        private long labelSeq;

        Merge(List<ScannerStream> streams, long maxPredictions) {
            this.maxPredictions = maxPredictions;
            if (maxPredictions > 0) {
                for (ScannerStream s : streams) {
                    if (s.peekTime() != Long.MAX_VALUE) {
                        scanners.add(s);
                    }
                }
            }
        }

        @Override
        public boolean hasNext() {
            return !scanners.isEmpty() || !labels.isEmpty();
        }

        @Override
        public SimEvent next() {
            ScannerStream s = scanners.peek();
            PendingLabel l = labels.peek();
            if (s == null && l == null) {
                throw new NoSuchElementException();
            }
            if (s != null && (l == null || s.peekTime() <= l.timeMs())) {
                scanners.poll();
                Prediction p =
                        s.next(g -> labels.add(new PendingLabel(g.observedAt().toEpochMilli(), labelSeq++, g)));
                if (++predictions >= maxPredictions) {
                    scanners.forEach(ScannerStream::stop);
                    scanners.clear();
                } else if (s.peekTime() != Long.MAX_VALUE) {
                    scanners.add(s);
                }
                return SimEvent.of(p);
            }
            labels.poll();
            return SimEvent.of(l.label());
        }
    }
}
