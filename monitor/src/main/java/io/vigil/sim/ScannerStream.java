package io.vigil.sim;

import io.vigil.events.Demographics;
import io.vigil.events.GroundTruth;
import io.vigil.events.ModelRef;
import io.vigil.events.Prediction;
import io.vigil.events.Scanner;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The time-ordered studies of one scanner: fresh arrivals (a Poisson process with an hourly and
 * weekly rate) merged with scheduled repeat studies. Every random number comes from four streams
 * seeded by the run seed and the scanner alias only (arrivals, subjects, features, labels), and each
 * study consumes a fixed count from the arrival, subject and label streams. So a scanner's output does
 * not depend on other scanners, and a scheduled score change leaves arrivals, subjects and truths
 * unchanged.
 */
final class ScannerStream {
    static final long HOUR_MS = 3_600_000L;
    static final long DAY_MS = 24 * HOUR_MS;

    /** Scenario-wide settings shared by all scanners of a run. */
    record Context(
            long seed,
            long startMs,
            long endMs,
            long labelEndMs,
            ModelRef model,
            double threshold,
            double[] hourWeights,
            String[] sexCodes,
            double[] sexCum,
            String[] ageBands,
            double[] ageCum,
            Demographics[][] demographics,
            Scenario.RepeatStudies repeats,
            LabelModel labels) {}

    /** The scanner's acquisition from {@code fromMs} on. */
    record State(
            long fromMs,
            Scanner scanner,
            ScoreModel scoreModel,
            double latentShift,
            List<Map.Entry<String, FeatureDistribution>> features) {}

    /** A prevalence that applies from {@code fromMs} on. */
    record PrevalenceStep(long fromMs, double prevalence) {}

    private record PendingRepeat(
            long timeMs, long seq, String subjectKey, int label, double residual, Demographics demographics) {}

    private final int ordinal;
    private final String site;
    private final Context ctx;
    private final State[] states;
    private final PrevalenceStep[] prevalence;
    private final double[] weekdayRatePerMs = new double[24];
    private final double[] weekendRatePerMs = new double[24];
    private final String idPrefix;

    private final Rng arrivals;
    private final Rng subjects;
    private final Rng featureRng;
    private final Rng labelRng;
    private final PriorityQueue<PendingRepeat> repeats =
            new PriorityQueue<>(Comparator.comparingLong(PendingRepeat::timeMs).thenComparingLong(PendingRepeat::seq));

    private double arrivalClock;
    private long nextArrivalMs;
    private int stateIndex;
    private int prevalenceIndex;
    private long counter;

    ScannerStream(
            int ordinal,
            String site,
            Scenario.ScannerSpec spec,
            long activeFromMs,
            Context ctx,
            List<State> states,
            List<PrevalenceStep> prevalence) {
        this.ordinal = ordinal;
        this.site = site;
        this.ctx = ctx;
        this.states = states.toArray(State[]::new);
        this.prevalence = prevalence.toArray(PrevalenceStep[]::new);
        double total = 0;
        for (double w : ctx.hourWeights()) {
            total += w;
        }
        for (int h = 0; h < 24; h++) {
            double perDay = spec.dailyVolume() * ctx.hourWeights()[h] / total / HOUR_MS;
            weekdayRatePerMs[h] = perDay * spec.weekdayFactor();
            weekendRatePerMs[h] = perDay * spec.weekendFactor();
        }
        this.idPrefix = "p-" + Long.toHexString(ctx.seed()) + "-" + spec.id() + "-";
        String stream = site + "/" + spec.id() + "/";
        this.arrivals = new Rng(Rng.derive(ctx.seed(), stream + "arrivals"));
        this.subjects = new Rng(Rng.derive(ctx.seed(), stream + "subjects"));
        this.featureRng = new Rng(Rng.derive(ctx.seed(), stream + "features"));
        this.labelRng = new Rng(Rng.derive(ctx.seed(), stream + "labels"));
        this.arrivalClock = Math.max(activeFromMs, ctx.startMs());
        this.nextArrivalMs = drawArrival();
    }

    int ordinal() {
        return ordinal;
    }

    /** Time of the next study in epoch ms, {@link Long#MAX_VALUE} when there is none. */
    long peekTime() {
        PendingRepeat r = repeats.peek();
        return r == null ? nextArrivalMs : Math.min(nextArrivalMs, r.timeMs());
    }

    /** Stops producing studies (the run's prediction limit was reached). */
    void stop() {
        nextArrivalMs = Long.MAX_VALUE;
        repeats.clear();
    }

    /**
     * The next study's prediction; its labels that are observed before the run's label end go to
     * {@code labels}. Only call when {@link #peekTime()} is not {@link Long#MAX_VALUE}.
     */
    Prediction next(Consumer<GroundTruth> labels) {
        PendingRepeat r = repeats.peek();
        if (r != null && r.timeMs() < nextArrivalMs) {
            repeats.poll();
            return repeatStudy(r, labels);
        }
        long t = nextArrivalMs;
        nextArrivalMs = drawArrival();
        return freshStudy(t, labels);
    }

    private Prediction freshStudy(long t, Consumer<GroundTruth> labels) {
        int y = subjects.uniform() < prevalenceAt(t) ? 1 : 0;
        double residual = subjects.gaussian();
        Demographics demo =
                ctx.demographics()[pick(ctx.sexCum(), subjects.uniform())][pick(ctx.ageCum(), subjects.uniform())];
        String subjectKey = "subj-" + hex16(subjects.nextLong());
        String studyKey = "st-" + hex16(subjects.nextLong());
        double uRepeat = subjects.uniform();
        double uDay = subjects.uniform();
        double uHour = subjects.uniform();
        double uWithin = subjects.uniform();
        Scenario.RepeatStudies rs = ctx.repeats();
        if (uRepeat < rs.fraction()) {
            long day = Math.floorDiv(t, DAY_MS) + 1 + Math.min(rs.withinDays() - 1, (int) (uDay * rs.withinDays()));
            long due = day * DAY_MS + timeOfDay(uHour, uWithin);
            if (due < ctx.endMs()) {
                repeats.add(new PendingRepeat(due, counter, subjectKey, y, residual, demo));
            }
        }
        return predict(t, y, residual, demo, subjectKey, studyKey, labels);
    }

    private Prediction repeatStudy(PendingRepeat r, Consumer<GroundTruth> labels) {
        String studyKey = "st-" + hex16(subjects.nextLong());
        double rho = ctx.repeats().scoreCorrelation();
        double residual = rho * r.residual() + StrictMath.sqrt(1.0 - rho * rho) * subjects.gaussian();
        return predict(r.timeMs(), r.label(), residual, r.demographics(), r.subjectKey(), studyKey, labels);
    }

    private Prediction predict(
            long t,
            int y,
            double residual,
            Demographics demo,
            String subjectKey,
            String studyKey,
            Consumer<GroundTruth> labels) {
        State state = stateAt(t);
        ScoreModel model = state.scoreModel();
        double z = residual + y * model.separation() + state.latentShift();
        double score = Math.min(1.0, Math.max(0.0, Rng.round(model.score(z), 6)));
        boolean positive = score >= ctx.threshold();
        Map<String, Double> features = new HashMap<>();
        for (Map.Entry<String, FeatureDistribution> f : state.features()) {
            double v = f.getValue().sample(featureRng.uniform(), featureRng.uniform(), featureRng.uniform());
            if (!Double.isNaN(v)) {
                features.put(f.getKey(), v);
            }
        }
        String id = idPrefix + Long.toHexString(counter++);
        Prediction p = new Prediction(
                id,
                Instant.ofEpochMilli(t),
                ctx.model(),
                "binary",
                score,
                ctx.threshold(),
                positive ? 1 : 0,
                site,
                state.scanner(),
                subjectKey,
                studyKey,
                demo,
                null,
                null,
                features,
                null);
        labels(id, t, y, positive, labels);
        return p;
    }

    private void labels(String id, long t, int y, boolean positive, Consumer<GroundTruth> out) {
        LabelModel lm = ctx.labels();
        double uVerify = labelRng.uniform();
        double uSource = labelRng.uniform();
        double g0 = labelRng.gaussian();
        double uRevision = labelRng.uniform();
        double g1 = labelRng.gaussian();
        double coverage =
                positive ? lm.coverage().predictedPositive() : lm.coverage().predictedNegative();
        if (!(uVerify < coverage)) {
            return;
        }
        LabelModel.Source source = lm.pickSource(positive, uSource);
        long observed = t + source.delay().millis(g0, lm.maxDelayDays());
        if (observed >= ctx.labelEndMs()) {
            return;
        }
        if (uRevision < lm.revisionFraction()) {
            out.accept(new GroundTruth(id, 1 - y, Instant.ofEpochMilli(observed), source.source(), 0));
            long corrected = observed + lm.revisionDelay().millis(g1, lm.maxDelayDays());
            if (corrected < ctx.labelEndMs()) {
                out.accept(new GroundTruth(id, y, Instant.ofEpochMilli(corrected), lm.revisionSource(), 1));
            }
        } else {
            out.accept(new GroundTruth(id, y, Instant.ofEpochMilli(observed), source.source(), 0));
        }
    }

    private long drawArrival() {
        double t = arrivalClock;
        while (t < ctx.endMs()) {
            long hourStart = Math.floorDiv((long) t, HOUR_MS) * HOUR_MS;
            long hourEnd = hourStart + HOUR_MS;
            double rate = ratePerMs(hourStart);
            if (rate > 0) {
                // Memoryless: a gap that crosses the hour boundary restarts at the boundary with the new rate.
                double next = t + arrivals.exponential() / rate;
                if (next < hourEnd) {
                    arrivalClock = next;
                    long ms = (long) next;
                    return ms < ctx.endMs() ? ms : Long.MAX_VALUE;
                }
            }
            t = hourEnd;
        }
        arrivalClock = t;
        return Long.MAX_VALUE;
    }

    private double ratePerMs(long hourStart) {
        long day = Math.floorDiv(hourStart, DAY_MS);
        int hour = (int) ((hourStart - day * DAY_MS) / HOUR_MS);
        // 1970-01-01 was a Thursday: Monday = 0 ... Sunday = 6.
        boolean weekend = Math.floorMod(day + 3, 7) >= 5;
        return weekend ? weekendRatePerMs[hour] : weekdayRatePerMs[hour];
    }

    private long timeOfDay(double uHour, double uWithin) {
        double[] w = ctx.hourWeights();
        double total = 0;
        for (double x : w) {
            total += x;
        }
        double target = uHour * total;
        double acc = 0;
        int hour = 23;
        for (int h = 0; h < 24; h++) {
            acc += w[h];
            if (target < acc) {
                hour = h;
                break;
            }
        }
        return hour * HOUR_MS + (long) (uWithin * HOUR_MS);
    }

    private double prevalenceAt(long t) {
        while (prevalenceIndex + 1 < prevalence.length && prevalence[prevalenceIndex + 1].fromMs() <= t) {
            prevalenceIndex++;
        }
        return prevalence[prevalenceIndex].prevalence();
    }

    private State stateAt(long t) {
        while (stateIndex + 1 < states.length && states[stateIndex + 1].fromMs() <= t) {
            stateIndex++;
        }
        return states[stateIndex];
    }

    static int pick(double[] cumulative, double u) {
        double target = u * cumulative[cumulative.length - 1];
        for (int i = 0; i < cumulative.length; i++) {
            if (target < cumulative[i]) {
                return i;
            }
        }
        return cumulative.length - 1;
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    static String hex16(long v) {
        char[] c = new char[16];
        for (int i = 15; i >= 0; i--) {
            c[i] = HEX[(int) (v & 0xf)];
            v >>>= 4;
        }
        return new String(c);
    }

    /** Feature distributions in name order: {@code base} entries replaced by {@code overrides}. */
    static List<Map.Entry<String, FeatureDistribution>> mergeFeatures(
            Map<String, FeatureDistribution> base, Map<String, FeatureDistribution> overrides) {
        TreeMap<String, FeatureDistribution> merged = new TreeMap<>(base);
        merged.putAll(overrides);
        return merged.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue()))
                .toList();
    }
}
