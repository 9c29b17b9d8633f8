package io.vigil.verification;

import io.vigil.stats.BinaryOutcomeStats;
import io.vigil.stats.CalibrationStats;
import io.vigil.stats.Estimate;
import io.vigil.stats.PrevalenceAdjusted;
import io.vigil.stats.Wilson;
import io.vigil.verification.Claim.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.commons.statistics.distribution.BetaDistribution;

/**
 * Coverage of the 95% intervals Vigil publishes, each measured through {@link BinaryOutcomeStats}, the
 * aggregate the topology keeps per slice and window, on data with a known true value.
 *
 * <ul>
 *   <li><b>O/E</b>: probabilities p ~ Beta(a, b), outcomes y ~ Bernoulli(min(1, r p)); the true ratio given
 *       the cohort's probabilities is sum min(1, r p) / sum p.</li>
 *   <li><b>Sensitivity</b> (Wilson) and <b>AUC</b> (DeLong): y ~ Bernoulli(prevalence), score | y = 1 ~
 *       Beta(3, 2), score | y = 0 ~ Beta(2, 3), threshold 0.5; true sensitivity 11/16, true AUC
 *       P(S1 > S0) by numerical integration. Replicates without a positive or a negative are drawn again
 *       (the metric is undefined there and Vigil publishes none).</li>
 *   <li><b>PPV and NPV at a reference prevalence</b> ({@link PrevalenceAdjusted}): the same cohorts; the
 *       true value is the Bayes formula at the true sensitivity and specificity (both 11/16) and the
 *       reference prevalence.</li>
 *   <li><b>Prevalence shift</b> ({@link PrevalenceAdjusted#shift}): the same cohorts against a reference
 *       prevalence counted from its own binomial draw (or claimed); the true value is the difference of the
 *       two true prevalences.</li>
 *   <li><b>ECE</b> (debiased, interval from the gaps' chi-square ellipsoid): p ~ Beta(2, 5), y ~
 *       Bernoulli(expit(shift + logit p)); the true value is the population's binned ECE,
 *       sum over the 10 bins of |∫ (p − g(p)) f(p) dp| by numerical integration (0 when shift = 0).</li>
 * </ul>
 */
public final class IntervalClaims {
    static final double NOMINAL = 0.95;
    static final double THRESHOLD = 0.5;
    /** P(Beta(3, 2) ≥ 0.5) = 1 − I_0.5(3, 2) = 11/16. */
    static final double TRUE_SENSITIVITY = 11.0 / 16;
    /** P(Beta(2, 3) < 0.5) = I_0.5(2, 3) = 11/16 (the mirror image of the positives). */
    static final double TRUE_SPECIFICITY = 11.0 / 16;
    /** P(S1 > S0) for S1 ~ Beta(3, 2), S0 ~ Beta(2, 3). */
    static final double TRUE_AUC = trueAuc();

    private IntervalClaims() {}

    /** Every interval claim, in table order. */
    public static List<Claim> all() {
        List<Claim> claims = new ArrayList<>();
        claims.add(observedExpected(200, 1, 9, 1.0));
        claims.add(observedExpected(1_000, 1, 9, 1.0));
        claims.add(observedExpected(1_000, 1, 9, 1.3));
        claims.add(observedExpected(5_000, 1, 9, 0.8));
        claims.add(observedExpected(200, 5, 5, 1.0));
        claims.add(observedExpected(1_000, 5, 5, 0.9));
        claims.add(sensitivity(100, 0.2));
        claims.add(sensitivity(1_000, 0.1));
        claims.add(auc(30, 0.1, Status.CLAIMED));
        claims.add(auc(20, 0.5, Status.CLAIMED));
        claims.add(auc(100, 0.1, Status.CLAIMED));
        claims.add(auc(1_000, 0.1, Status.CLAIMED));
        claims.add(auc(200, 0.5, Status.CLAIMED));
        claims.add(atReferencePrevalence(true, 100, 0.2, 0.05));
        claims.add(atReferencePrevalence(true, 200, 0.5, 0.1));
        claims.add(atReferencePrevalence(true, 1_000, 0.1, 0.3));
        claims.add(atReferencePrevalence(false, 100, 0.2, 0.05));
        claims.add(atReferencePrevalence(false, 200, 0.5, 0.1));
        claims.add(atReferencePrevalence(false, 1_000, 0.1, 0.3));
        claims.add(prevalenceShift(200, 0.2, 500, 0.2));
        claims.add(prevalenceShift(100, 0.1, 200, 0.1));
        claims.add(prevalenceShift(1_000, 0.1, 2_000, 0.15));
        claims.add(prevalenceShift(300, 0.3, 0, 0.2));
        claims.add(ece(200, 0.0));
        claims.add(ece(1_000, 0.0));
        claims.add(ece(5_000, 0.0));
        claims.add(ece(1_000, 0.3));
        claims.add(ece(5_000, 0.3));
        claims.add(ece(500, 0.75));
        claims.add(ece(5_000, 0.75));
        claims.add(calibrationSlope(200, 1, 19, 1.0));
        claims.add(calibrationSlope(200, 1, 9, 1.0));
        claims.add(calibrationSlope(1_000, 2, 5, 1.0));
        claims.add(calibrationSlope(1_000, 2, 5, 0.5));
        claims.add(calibrationInTheLarge(200, 1, 19));
        claims.add(calibrationInTheLarge(1_000, 1, 9));
        return claims;
    }

    /**
     * The calibration slope b of y ~ Bernoulli(expit(a + b·logit p)) with its Wald interval from the Fisher
     * information ({@link io.vigil.stats.LogisticRecalibration#fit()}), on p ~ Beta(α, β) and outcomes drawn
     * with true intercept 0 and true slope {@code slope}.
     */
    static Claim calibrationSlope(int n, int alpha, int beta, double slope) {
        return new Claim(
                "Calibration slope 95% interval (Wald, logistic recalibration)",
                String.format("n = %,d, p ~ Beta(%d, %d), true slope %.1f", n, alpha, beta, slope),
                NOMINAL,
                Status.CLAIMED,
                random -> covers(
                        recalibrated(random, n, alpha, beta, slope)
                                .recalibrationFit()
                                .slope(),
                        slope));
    }

    /** Calibration-in-the-large (slope fixed at 1) of a calibrated model: true value 0. */
    static Claim calibrationInTheLarge(int n, int alpha, int beta) {
        return new Claim(
                "Calibration-in-the-large 95% interval (Wald, slope fixed at 1)",
                String.format("n = %,d, p ~ Beta(%d, %d), true value 0", n, alpha, beta),
                NOMINAL,
                Status.CLAIMED,
                random -> covers(
                        recalibrated(random, n, alpha, beta, 1.0)
                                .recalibration()
                                .calibrationInTheLarge(),
                        0.0));
    }

    /** n cases with p ~ Beta(α, β) and y ~ Bernoulli(expit(slope·logit p)). */
    static BinaryOutcomeStats recalibrated(SplittableRandom random, int n, int alpha, int beta, double slope) {
        BinaryOutcomeStats stats = new BinaryOutcomeStats(THRESHOLD);
        for (int i = 0; i < n; i++) {
            double p = Draws.beta(random, alpha, beta);
            double q = Math.min(Math.max(p, 1e-12), 1 - 1e-12);
            stats.add(p, Draws.bernoulli(random, 1 / (1 + Math.exp(-slope * Math.log(q / (1 - q))))));
        }
        return stats;
    }

    static Claim observedExpected(int n, int a, int b, double r) {
        return new Claim(
                "O/E 95% interval (Poisson-binomial variance)",
                String.format("n = %,d, p ~ Beta(%d, %d), true O/E ≈ %.1f", n, a, b, r),
                NOMINAL,
                Status.CLAIMED,
                random -> {
                    BinaryOutcomeStats stats = new BinaryOutcomeStats(THRESHOLD);
                    double expected = 0;
                    double truth = 0;
                    for (int i = 0; i < n; i++) {
                        double p = Draws.beta(random, a, b);
                        double pi = Math.min(1, r * p);
                        stats.add(p, Draws.bernoulli(random, pi));
                        expected += p;
                        truth += pi;
                    }
                    return covers(stats.calibration().observedExpectedRatio(), truth / expected);
                });
    }

    static Claim sensitivity(int n, double prevalence) {
        return new Claim(
                "Sensitivity 95% interval (Wilson)",
                setting(n, prevalence),
                NOMINAL,
                Status.CLAIMED,
                random -> covers(cohort(random, n, prevalence).confusion().sensitivity(), TRUE_SENSITIVITY));
    }

    static Claim auc(int n, double prevalence, Status status) {
        return new Claim(
                "AUC 95% interval (DeLong, logit scale, t quantile)",
                setting(n, prevalence),
                NOMINAL,
                status,
                random -> covers(cohort(random, n, prevalence).auc().auc(), TRUE_AUC));
    }

    /**
     * PPV (or NPV) at a reference prevalence from the cohort's confusion counts; true sensitivity and
     * specificity are both 11/16, so the true value is the Bayes formula at 11/16, 11/16 and the reference.
     */
    static Claim atReferencePrevalence(boolean ppv, int n, double prevalence, double reference) {
        double truth = ppv
                ? PrevalenceAdjusted.ppv(TRUE_SENSITIVITY, TRUE_SPECIFICITY, reference)
                : PrevalenceAdjusted.npv(TRUE_SENSITIVITY, TRUE_SPECIFICITY, reference);
        return new Claim(
                (ppv ? "PPV" : "NPV") + " at reference prevalence, 95% interval (Wilson 97.5% corners)",
                String.format(
                        "%s, reference prevalence %.2f, true value %.3f", setting(n, prevalence), reference, truth),
                NOMINAL,
                Status.CLAIMED,
                random -> {
                    var c = cohort(random, n, prevalence).confusion();
                    return covers(
                            ppv
                                    ? PrevalenceAdjusted.ppv(c.tp(), c.fn(), c.fp(), c.tn(), reference)
                                    : PrevalenceAdjusted.npv(c.tp(), c.fn(), c.fp(), c.tn(), reference),
                            truth);
                });
    }

    /**
     * Observed minus reference prevalence ({@link PrevalenceAdjusted#shift}, Newcombe's hybrid score): the
     * cohort's prevalence against a reference of {@code refN} labelled cases drawn at {@code refPrevalence},
     * with its Wilson interval, as the performance stage reads a profile's label bins; {@code refN = 0} is a
     * claimed prevalence, taken as known. A reference with labels of one class only is drawn again (Vigil
     * then has no reference prevalence and publishes nothing).
     */
    static Claim prevalenceShift(int n, double prevalence, int refN, double refPrevalence) {
        double truth = prevalence - refPrevalence;
        String reference = refN == 0
                ? String.format("reference prevalence %.2f claimed", refPrevalence)
                : String.format("reference prevalence %.2f counted from %,d", refPrevalence, refN);
        return new Claim(
                "Prevalence shift 95% interval (Newcombe hybrid score)",
                String.format("%s, %s, true shift %+.2f", setting(n, prevalence), reference, truth),
                NOMINAL,
                Status.CLAIMED,
                random -> {
                    var c = cohort(random, n, prevalence).confusion();
                    Estimate ref = Estimate.point(refPrevalence, 1);
                    while (refN > 0) {
                        long k = 0;
                        for (int i = 0; i < refN; i++) {
                            k += Draws.bernoulli(random, refPrevalence);
                        }
                        if (k > 0 && k < refN) {
                            ref = Wilson.interval(k, refN);
                            break;
                        }
                    }
                    return covers(
                            PrevalenceAdjusted.shift(c.tp() + c.fn(), n, ref.value(), ref.lower(), ref.upper()), truth);
                });
    }

    static Claim ece(int n, double shift) {
        double truth = trueEce(shift);
        return new Claim(
                "ECE 95% interval (projected chi-square ellipsoid)",
                String.format("n = %,d, p ~ Beta(2, 5), logit shift %.2f, true ECE %.3f", n, shift, truth),
                NOMINAL,
                Status.CLAIMED,
                random -> covers(miscalibrated(random, n, shift).calibration().ece(), truth));
    }

    /** n cases with p ~ Beta(2, 5) and y ~ Bernoulli(expit(shift + logit p)). */
    static BinaryOutcomeStats miscalibrated(SplittableRandom random, int n, double shift) {
        BinaryOutcomeStats stats = new BinaryOutcomeStats(THRESHOLD);
        for (int i = 0; i < n; i++) {
            double p = Draws.beta(random, 2, 5);
            stats.add(p, Draws.bernoulli(random, outcomeProbability(p, shift)));
        }
        return stats;
    }

    private static double outcomeProbability(double p, double shift) {
        double q = Math.min(Math.max(p, 1e-12), 1 - 1e-12);
        return 1 / (1 + Math.exp(-(shift + Math.log(q / (1 - q)))));
    }

    /** The population binned ECE for p ~ Beta(2, 5): sum_k |∫ over bin k of (p − g(p)) f(p) dp|, Simpson. */
    static double trueEce(double shift) {
        BetaDistribution f = BetaDistribution.of(2, 5);
        double total = 0;
        int m = 2_000;
        for (int k = 0; k < CalibrationStats.BINS; k++) {
            double a = k / 10.0;
            double h = 0.1 / m;
            double sum = 0;
            for (int i = 0; i <= m; i++) {
                double x = a + i * h;
                double v = (x - outcomeProbability(x, shift)) * f.density(x);
                sum += v * (i == 0 || i == m ? 1 : i % 2 == 1 ? 4 : 2);
            }
            total += Math.abs(sum * h / 3);
        }
        return total;
    }

    private static String setting(int n, double prevalence) {
        return String.format("n = %,d, prevalence %.1f", n, prevalence);
    }

    /** A cohort with at least one positive and one negative. */
    static BinaryOutcomeStats cohort(SplittableRandom random, int n, double prevalence) {
        while (true) {
            BinaryOutcomeStats stats = new BinaryOutcomeStats(THRESHOLD);
            int positives = 0;
            for (int i = 0; i < n; i++) {
                int y = Draws.bernoulli(random, prevalence);
                positives += y;
                stats.add(y == 1 ? Draws.beta(random, 3, 2) : Draws.beta(random, 2, 3), y);
            }
            if (positives > 0 && positives < n) {
                return stats;
            }
        }
    }

    private static boolean covers(Estimate e, double truth) {
        return !e.isEmpty() && e.lower() <= truth && truth <= e.upper();
    }

    /** ∫ f1(x) F0(x) dx over [0, 1] by Simpson's rule on 20,000 intervals (error far below 1e-9). */
    private static double trueAuc() {
        BetaDistribution positive = BetaDistribution.of(3, 2);
        BetaDistribution negative = BetaDistribution.of(2, 3);
        int m = 20_000;
        double h = 1.0 / m;
        double sum = 0;
        for (int i = 0; i <= m; i++) {
            double x = i * h;
            double f = positive.density(x) * negative.cumulativeProbability(x);
            sum += f * (i == 0 || i == m ? 1 : i % 2 == 1 ? 4 : 2);
        }
        return sum * h / 3;
    }
}
