package io.vigil.stats;

import java.util.Collection;

/**
 * Patient-wise (cluster-robust) variance of the labelled metrics, from the pairs of labelled studies that share
 * a subject ({@link StudyPair}). Repeat studies of one patient are correlated (the same disease, the same
 * anatomy, the same habitus in front of the same scanner), so n studies carry less information than n
 * independent ones, and an interval that counts them as independent is too narrow.
 *
 * <p>For a mean or ratio estimator over studies, the linearisation variance clustered by subject c is
 * Σ_c (Σ_{i in c} e_i)² / N², with e_i the study's residual (Liang and Zeger 1986; for a proportion the
 * ratio estimator's). Expanded, Σ_c (Σ_{i in c} e_i)² = Σ_i e_i² + 2 Σ_{pairs i < j of one subject} e_i e_j:
 * the independent variance plus twice the residuals' cross products over within-subject pairs. The
 * pairs' contributions are additive, so they can be kept per cohort day and merged into any window like
 * every other part of the labelled aggregate; the residuals depend on the window's estimate, so each pair
 * keeps its scores, labels and decisions, and the cross products are taken when the window is evaluated.
 *
 * <p>Each method returns the cross-product sum Σ_{pairs} e_i e_j (each pair times its count). The metric's
 * own interval adds twice it to its variance and never goes below the independent one: a negative
 * within-subject correlation is not credited (the design effect is at least 1). The small-sample factor
 * C/(C − 1) over C clusters is omitted (C ≥ N/4 here, and the minimum n is 50).
 */
public final class ClusteredVariance {

    private ClusteredVariance() {}

    /** A pair with its multiplicity in the window (label revisions retract pairs, so counts are signed). */
    public record Counted(StudyPair pair, long count) {}

    /** The proportions published with a Wilson interval: which studies count, and which of them succeed. */
    public enum Proportion {
        /** Among labelled positives, predicted positive. */
        SENSITIVITY,
        /** Among labelled negatives, predicted negative. */
        SPECIFICITY,
        /** Among the predicted positive, labelled positive. */
        PPV,
        /** Among the predicted negative, labelled negative. */
        NPV,
        /** Among all labelled, labelled positive. */
        PREVALENCE;

        boolean counts(int label, boolean positive) {
            return switch (this) {
                case SENSITIVITY -> label == 1;
                case SPECIFICITY -> label == 0;
                case PPV -> positive;
                case NPV -> !positive;
                case PREVALENCE -> true;
            };
        }

        double success(int label, boolean positive) {
            boolean s = switch (this) {
                case SENSITIVITY -> positive;
                case SPECIFICITY -> !positive;
                case PPV -> label == 1;
                case NPV -> label == 0;
                case PREVALENCE -> label == 1;
            };
            return s ? 1.0 : 0.0;
        }
    }

    /**
     * The design effect of a proportion k/n: clustered over independent variance, at least 1. The independent
     * sum of squared residuals is n p (1 − p); pairs in which either study is outside the proportion's
     * denominator add nothing. 1 when n = 0 or p is 0 or 1 (no residual variance to inflate).
     */
    public static double designEffect(Proportion proportion, long k, long n, Collection<Counted> pairs) {
        if (n <= 0 || k <= 0 || k >= n || pairs.isEmpty()) {
            return 1.0;
        }
        double p = (double) k / n;
        double cross = 0;
        for (Counted c : pairs) {
            StudyPair s = c.pair();
            if (c.count() > 0
                    && proportion.counts(s.labelA(), s.positiveA())
                    && proportion.counts(s.labelB(), s.positiveB())) {
                cross += c.count()
                        * (proportion.success(s.labelA(), s.positiveA()) - p)
                        * (proportion.success(s.labelB(), s.positiveB()) - p);
            }
        }
        return Math.max(1.0, 1.0 + 2 * cross / (n * p * (1 - p)));
    }

    /** Σ_{pairs} (b_i − B)(b_j − B) with b = (score − label)², B the window's Brier score. */
    public static double brierCross(double brier, Collection<Counted> pairs) {
        double cross = 0;
        for (Counted c : pairs) {
            if (c.count() > 0) {
                StudyPair s = c.pair();
                double a = s.scoreA() - s.labelA();
                double b = s.scoreB() - s.labelB();
                cross += c.count() * (a * a - brier) * (b * b - brier);
            }
        }
        return cross;
    }

    /** Σ_{pairs} (y_i − R p_i)(y_j − R p_j), R the window's observed/expected ratio: O/E's linearisation. */
    public static double observedExpectedCross(double ratio, Collection<Counted> pairs) {
        double cross = 0;
        for (Counted c : pairs) {
            if (c.count() > 0) {
                StudyPair s = c.pair();
                cross += c.count() * (s.labelA() - ratio * s.scoreA()) * (s.labelB() - ratio * s.scoreB());
            }
        }
        return cross;
    }
}
