package io.vigil.verification;

import io.vigil.aggregates.OutcomeAggregate;
import io.vigil.aggregates.OutcomeChange;
import io.vigil.config.VigilConfig;
import io.vigil.events.MetricSnapshot;
import io.vigil.metrics.WorstSlices;
import io.vigil.stages.Performance;
import io.vigil.verification.Claim.Status;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Coverage of the worst slice's intervals (issue 18, Must 7): the worst of k slices is selected because
 * its estimate is extreme, so the claim is about the interval of whichever slice was selected, against
 * that slice's own true value.
 *
 * <p>Each replicate draws k slices of one dimension ({@code site}, values S01 to Sk) of n cases each:
 * y ~ Bernoulli(prevalence); a negative's score ~ Beta(2, 3); slice j's positive's score ~ Beta(2, 3)
 * with probability m_j (a missed positive, scored like a negative), else Beta(3, 2); threshold 0.5. So
 * slice j's true sensitivity is (1 - m_j) 11/16 + m_j 5/16 and its true AUC (1 - m_j) 53/70 + m_j / 2,
 * both exact. "Equal" slices have m_j = 0; "spread" slices have m_j evenly from 0 to {@link #SPREAD}.
 * Every case goes, as {@link OutcomeChange}s (registration, then the labelled outcome), into the daily
 * {@link OutcomeAggregate} of its slice and of {@code all}, as the outcome join's changes go into every
 * group of the prediction; {@link Performance#snapshots} turns each group into its snapshots with the
 * topology's default settings (one 7-day window) and {@link WorstSlices#compute} derives the worst
 * slice from all of them with the default {@code outcomes.min-n}, as the exporter, status API and alert
 * evaluator do. A trial succeeds when the derived snapshot's interval covers the selected slice's true
 * value (or its true gap to {@code all}: the true value of {@code all} is the slices' true values
 * weighted by their drawn positives, which is what the pooled sensitivity and AUC estimate).
 */
public final class WorstSliceClaims {
    static final double NOMINAL = 0.95;
    /** Largest share of missed positives in the "spread" settings. */
    static final double SPREAD = 0.3;

    private static final String DIMENSION = "site";
    private static final String ALL = "m|1|all|all";
    private static final long DAY = 20_454;
    private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");
    private static final VigilConfig CONFIG = new VigilConfig(
            Map.of(VigilConfig.BOOTSTRAP_SERVERS, "localhost:9092", VigilConfig.OUTCOMES_WINDOWS, "7d"));
    private static final Performance STAGE = new Performance(Performance.Settings.from(CONFIG));
    static final int MIN_N = CONFIG.getInt(VigilConfig.OUTCOMES_MIN_N);

    /** The metrics claimed, with the true value of a slice whose share of missed positives is m. */
    enum Metric {
        SENSITIVITY("sensitivity", "Wilson"),
        AUC("auc", "DeLong logit, t");

        final String name;
        final String method;

        Metric(String name, String method) {
            this.name = name;
            this.method = method;
        }

        double truth(double missed) {
            // A missed positive is scored like a negative: P(Beta(2, 3) >= 0.5) = 1 - 11/16, and AUC 1/2 against them.
            return this == SENSITIVITY
                    ? (1 - missed) * IntervalClaims.TRUE_SENSITIVITY + missed * (1 - IntervalClaims.TRUE_SENSITIVITY)
                    : (1 - missed) * IntervalClaims.TRUE_AUC + missed / 2;
        }
    }

    /** Which interval a trial checks. */
    enum Target {
        /** {@code worst_slice:<metric>}: the selected slice's value, simultaneous interval. */
        VALUE,
        /** {@code worst_slice_gap:<metric>}: the selected slice's gap to all, simultaneous interval. */
        GAP,
        /** The selected slice's own {@code <metric>} snapshot: its ordinary 95% interval, as before issue 18. */
        UNADJUSTED
    }

    /** k slices of n cases at this prevalence; true values equal (spread false) or spread evenly. */
    record Setting(int k, int n, double prevalence, boolean spread) {
        double missed(int slice) {
            return spread ? SPREAD * slice / (k - 1) : 0.0;
        }

        String describe(Metric metric) {
            String truth = spread
                    ? String.format("spread %.3f to %.3f", metric.truth(SPREAD), metric.truth(0))
                    : String.format("equal %.3f", metric.truth(0));
            return String.format(
                    "k = %d slices, n = %,d per slice, prevalence %.1f, true values %s", k, n, prevalence, truth);
        }
    }

    private WorstSliceClaims() {}

    /** Every worst-slice claim, in table order. */
    public static List<Claim> all() {
        List<Claim> claims = new ArrayList<>();
        Setting equal20 = new Setting(20, 200, 0.5, false);
        Setting spread20 = new Setting(20, 200, 0.5, true);
        for (Metric m : Metric.values()) {
            claims.add(claim(m, Target.VALUE, equal20));
            claims.add(claim(m, Target.VALUE, spread20));
            claims.add(claim(
                    m,
                    Target.VALUE,
                    m == Metric.SENSITIVITY ? new Setting(20, 400, 0.5, false) : new Setting(20, 1_000, 0.1, false)));
            claims.add(claim(m, Target.VALUE, new Setting(5, 200, 0.5, false)));
            claims.add(claim(m, Target.GAP, equal20));
            claims.add(claim(m, Target.GAP, spread20));
        }
        for (Metric m : Metric.values()) {
            claims.add(claim(m, Target.UNADJUSTED, equal20));
            claims.add(claim(m, Target.UNADJUSTED, spread20));
        }
        return claims;
    }

    /** The claimed rows, for CI. */
    public static List<Claim> claimed() {
        return all().stream().filter(c -> c.status() == Status.CLAIMED).toList();
    }

    static Claim claim(Metric metric, Target target, Setting setting) {
        String quantity = switch (target) {
            case VALUE ->
                "Worst slice's " + metric.name + ", simultaneous 95% interval (" + metric.method
                        + ", Bonferroni over k)";
            case GAP ->
                "Worst slice's " + metric.name + " gap to all, simultaneous 95% interval (MOVER, "
                        + "Bonferroni over k)";
            case UNADJUSTED ->
                "Worst slice's " + metric.name + ", its own 95% interval (" + metric.method
                        + ", not adjusted for selection)";
        };
        return new Claim(
                quantity,
                setting.describe(metric),
                NOMINAL,
                target == Target.UNADJUSTED ? Status.KNOWN_SHORTFALL : Status.CLAIMED,
                random -> covers(draw(random, setting), metric, target, setting));
    }

    /** One replicate's slices: every snapshot, the derived ones, each slice's drawn positives. */
    record Replicate(List<MetricSnapshot> snapshots, List<MetricSnapshot> derived, long[] positives) {}

    /** The k slices and {@code all} through the performance stage, then the worst slices. */
    static Replicate draw(SplittableRandom random, Setting setting) {
        List<MetricSnapshot> snapshots = new ArrayList<>();
        OutcomeAggregate all = new OutcomeAggregate();
        long[] positives = new long[setting.k()];
        for (int j = 0; j < setting.k(); j++) {
            String group = "m|1|" + DIMENSION + "|" + sliceValue(j);
            List<String> groups = List.of(group, ALL);
            OutcomeAggregate slice = new OutcomeAggregate();
            double missed = setting.missed(j);
            for (int i = 0; i < setting.n(); i++) {
                int y = Draws.bernoulli(random, setting.prevalence());
                boolean likeNegative = y == 0 || random.nextDouble() < missed;
                double score = likeNegative ? Draws.beta(random, 2, 3) : Draws.beta(random, 3, 2);
                positives[j] += y;
                OutcomeChange registered = new OutcomeChange(groups, score, IntervalClaims.THRESHOLD, DAY, -1, 0, -1);
                OutcomeChange labelled = new OutcomeChange(groups, score, IntervalClaims.THRESHOLD, DAY, y, 1, 3_600);
                for (OutcomeAggregate a : List.of(slice, all)) {
                    a.apply(registered);
                    a.apply(labelled);
                }
            }
            snapshots.addAll(STAGE.snapshots(group, new TreeMap<>(Map.of(DAY, slice)), DAY, 0));
        }
        snapshots.addAll(STAGE.snapshots(ALL, new TreeMap<>(Map.of(DAY, all)), DAY, 0));
        return new Replicate(snapshots, WorstSlices.compute(snapshots, MIN_N, AT), positives);
    }

    static String sliceValue(int j) {
        return String.format("S%02d", j + 1);
    }

    private static boolean covers(Replicate r, Metric metric, Target target, Setting setting) {
        MetricSnapshot compared = find(r.derived(), WorstSlices.COMPARED_FAMILY + ":" + metric.name);
        if (compared.estimate() != setting.k()) {
            throw new IllegalStateException("expected " + setting.k() + " slices to compete, got " + compared);
        }
        int j = Integer.parseInt(compared.sliceValue().substring(1)) - 1;
        double truth = metric.truth(setting.missed(j));
        MetricSnapshot s = switch (target) {
            case VALUE -> find(r.derived(), WorstSlices.VALUE_FAMILY + ":" + metric.name);
            case GAP -> find(r.derived(), WorstSlices.FAMILY + ":" + metric.name);
            case UNADJUSTED ->
                r.snapshots().stream()
                        .filter(x ->
                                x.metric().equals(metric.name) && x.sliceValue().equals(compared.sliceValue()))
                        .findFirst()
                        .orElseThrow();
        };
        if (target == Target.GAP) {
            double weighted = 0;
            long total = 0;
            for (int i = 0; i < setting.k(); i++) {
                weighted += r.positives()[i] * metric.truth(setting.missed(i));
                total += r.positives()[i];
            }
            truth -= weighted / total;
        }
        return s.lower() != null && s.upper() != null && s.lower() <= truth && truth <= s.upper();
    }

    private static MetricSnapshot find(List<MetricSnapshot> snapshots, String metric) {
        return snapshots.stream()
                .filter(s -> s.metric().equals(metric) && s.sliceDimension().equals(DIMENSION))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + metric + " derived"));
    }
}
