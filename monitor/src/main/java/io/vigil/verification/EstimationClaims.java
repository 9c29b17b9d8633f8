package io.vigil.verification;

import io.vigil.aggregates.EstimationAggregate;
import io.vigil.events.ReferenceProfile;
import io.vigil.stages.PerformanceEstimation;
import io.vigil.stats.Estimate;
import io.vigil.stats.IsotonicCalibration;
import io.vigil.verification.Claim.Status;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Coverage of the label-free (confidence-based) estimates' 95% intervals, measured through the estimation
 * stage's own path: a reference of N labelled cases binned as {@code vigil reference build} bins it (20
 * score bins of positives and negatives), the calibration map and its bootstrap fitted by
 * {@link PerformanceEstimation#calibrationMap} and {@link PerformanceEstimation#calibrationBootstrap}, a
 * window of n unlabelled cases added to seven daily {@link EstimationAggregate}s with q from that map (as the
 * stage's calibrate step does), and the window's estimates from {@link PerformanceEstimation#windowEstimates}.
 *
 * <p>The estimates target the window's realised metric: the trial succeeds when the interval covers the
 * sensitivity, specificity, PPV, NPV or AUC (Mann-Whitney) of the window's true labels. Cases: y ~
 * Bernoulli(0.2), score | y = 1 ~ Beta(3, 2), score | y = 0 ~ Beta(2, 3), threshold 0.5, so P(y = 1 | s) =
 * 0.2 s / (0.2 s + 0.8 (1 − s)). With {@code covariate shift} the window's scores are Beta(3, 3) with y drawn
 * from that same P(y | s): the case mix moves, the map still holds, which is what CBPE assumes. A window
 * whose metric is undefined (no true or predicted positive or negative) is drawn again.
 */
public final class EstimationClaims {
    static final double NOMINAL = 0.95;
    static final double PREVALENCE = 0.2;
    static final double THRESHOLD = 0.5;
    static final int REFERENCE_BINS = 20;
    private static final int DAYS = 7;

    /** The published label-free estimates. */
    public enum Metric {
        SENSITIVITY("estimated_sensitivity"),
        SPECIFICITY("estimated_specificity"),
        PPV("estimated_ppv"),
        NPV("estimated_npv"),
        AUC("estimated_auc");

        final String metric;

        Metric(String metric) {
            this.metric = metric;
        }
    }

    /**
     * @param reference      labelled cases in the reference
     * @param window         unlabelled cases in the window
     * @param covariateShift whether the window's case mix differs from the reference's
     */
    public record Setting(int reference, int window, boolean covariateShift) {
        String describe() {
            return String.format(
                    "reference N = %,d, window n = %,d, %s",
                    reference, window, covariateShift ? "covariate shift" : "same case mix");
        }
    }

    private EstimationClaims() {}

    /** The claimed rows, then the labels-only intervals Vigil published before (known shortfalls). */
    public static List<Claim> all() {
        List<Claim> claims = new ArrayList<>(claimed());
        claims.addAll(labelsOnly());
        return claims;
    }

    /** Every metric at every setting, intervals with the map's error. */
    public static List<Claim> claimed() {
        List<Claim> claims = new ArrayList<>();
        for (Setting s : List.of(
                new Setting(500, 1_000, false),
                new Setting(2_000, 200, false),
                new Setting(2_000, 1_000, false),
                new Setting(2_000, 5_000, false),
                new Setting(10_000, 1_000, false),
                new Setting(2_000, 1_000, true))) {
            for (Metric m : Metric.values()) {
                claims.add(claim(m, s, true));
            }
        }
        return claims;
    }

    /** The intervals counting the window's labels only, as before issue 18 (the AUC then had none). */
    public static List<Claim> labelsOnly() {
        List<Claim> claims = new ArrayList<>();
        for (Setting s : List.of(new Setting(2_000, 1_000, false), new Setting(2_000, 5_000, false))) {
            claims.add(claim(Metric.SENSITIVITY, s, false));
            claims.add(claim(Metric.SPECIFICITY, s, false));
        }
        return claims;
    }

    /** One row: the metric's interval at the setting, with or without the map's error. */
    public static Claim claim(Metric m, Setting s, boolean withMapError) {
        String method = withMapError ? "labels and calibration map bootstrap" : "labels only, not the map";
        return new Claim(
                m.metric + " 95% interval (CBPE, " + method + ")",
                s.describe(),
                NOMINAL,
                withMapError ? Status.CLAIMED : Status.KNOWN_SHORTFALL,
                random -> {
                    Replicate r = draw(random, s);
                    Estimate e = r.estimates(withMapError).get(m.metric);
                    double truth = r.truth()[m.ordinal()];
                    return e != null && !e.isEmpty() && e.lower() <= truth && truth <= e.upper();
                });
    }

    /**
     * One replicate: the reference's bins, the window's daily aggregates and the window's realised metrics
     * (in {@link Metric} order).
     */
    public record Replicate(List<ReferenceProfile.LabelBin> bins, List<EstimationAggregate> days, double[] truth) {
        /** The estimates the stage publishes for this window. */
        public Map<String, Estimate> estimates(boolean withMapError) {
            return PerformanceEstimation.windowEstimates(
                    days, withMapError ? PerformanceEstimation.calibrationBootstrap(bins) : null);
        }
    }

    /** Draws a reference and a window whose metrics are all defined. */
    public static Replicate draw(SplittableRandom random, Setting s) {
        long[] positives = new long[REFERENCE_BINS];
        long[] negatives = new long[REFERENCE_BINS];
        for (int i = 0; i < s.reference(); i++) {
            int y = Draws.bernoulli(random, PREVALENCE);
            double score = y == 1 ? Draws.beta(random, 3, 2) : Draws.beta(random, 2, 3);
            int b = Math.min(REFERENCE_BINS - 1, (int) Math.floor(score * REFERENCE_BINS));
            if (y == 1) {
                positives[b]++;
            } else {
                negatives[b]++;
            }
        }
        List<ReferenceProfile.LabelBin> bins = new ArrayList<>();
        for (int b = 0; b < REFERENCE_BINS; b++) {
            bins.add(new ReferenceProfile.LabelBin(
                    (double) b / REFERENCE_BINS, (double) (b + 1) / REFERENCE_BINS, positives[b], negatives[b]));
        }
        IsotonicCalibration map = PerformanceEstimation.calibrationMap(bins).orElseThrow();
        while (true) {
            double[] scores = new double[s.window()];
            int[] labels = new int[s.window()];
            for (int i = 0; i < s.window(); i++) {
                if (s.covariateShift()) {
                    scores[i] = Draws.beta(random, 3, 3);
                    labels[i] = Draws.bernoulli(random, risk(scores[i]));
                } else {
                    labels[i] = Draws.bernoulli(random, PREVALENCE);
                    scores[i] = labels[i] == 1 ? Draws.beta(random, 3, 2) : Draws.beta(random, 2, 3);
                }
            }
            double[] truth = realised(scores, labels);
            if (Arrays.stream(truth).allMatch(Double::isFinite)) {
                List<EstimationAggregate> days = new ArrayList<>();
                for (int d = 0; d < DAYS; d++) {
                    days.add(EstimationAggregate.empty());
                }
                for (int i = 0; i < scores.length; i++) {
                    double q = Math.max(0, Math.min(1, map.apply(scores[i])));
                    days.get(i % DAYS).add(scores[i], THRESHOLD, scores[i] >= THRESHOLD, q);
                }
                return new Replicate(bins, days, truth);
            }
        }
    }

    /** P(y = 1 | s) of the reference population. */
    static double risk(double s) {
        return PREVALENCE * s / (PREVALENCE * s + (1 - PREVALENCE) * (1 - s));
    }

    /** Sensitivity, specificity, PPV, NPV and AUC of the labels; NaN where undefined. */
    static double[] realised(double[] scores, int[] labels) {
        long tp = 0, fp = 0, tn = 0, fn = 0;
        for (int i = 0; i < scores.length; i++) {
            boolean positive = scores[i] >= THRESHOLD;
            if (labels[i] == 1) {
                tp += positive ? 1 : 0;
                fn += positive ? 0 : 1;
            } else {
                fp += positive ? 1 : 0;
                tn += positive ? 0 : 1;
            }
        }
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
        double pairs = 0;
        long negativesBelow = 0;
        for (int i : order) {
            if (labels[i] == 1) {
                pairs += negativesBelow;
            } else {
                negativesBelow++;
            }
        }
        long pos = tp + fn;
        long neg = tn + fp;
        return new double[] {
            (double) tp / pos,
            (double) tn / neg,
            (double) tp / (tp + fp),
            (double) tn / (tn + fn),
            pairs / ((double) pos * neg)
        };
    }
}
