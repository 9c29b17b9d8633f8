package io.vigil.stats;

/**
 * Predictive values at a reference prevalence π instead of the observed one (Bayes):
 * {@code ppv = sens·π / (sens·π + (1−spec)(1−π))} and {@code npv = spec(1−π) / (spec(1−π) + (1−sens)π)}.
 * Both increase in sensitivity and in specificity, so the interval maps the corners of a joint
 * box: each of sens and spec gets a Wilson interval at 97.5% (Bonferroni), the box holds both true
 * values with probability at least about 95%, and the lower (upper) bound is the formula at both
 * lower (upper) corners. Conservative by construction; π is taken as known (no interval).
 *
 * <p>{@link #shift} is the other half of a prevalence check: how far the observed prevalence is from the
 * reference one, with an interval that counts both samples' error when the reference was itself counted.
 */
public final class PrevalenceAdjusted {
    /** Normal quantile for a two-sided 97.5% interval (each of two, Bonferroni for 95% jointly). */
    public static final double Z_JOINT = 2.241402727604947;

    private PrevalenceAdjusted() {}

    /** PPV from sensitivity, specificity and prevalence, all in [0, 1]; NaN when undefined (0/0). */
    public static double ppv(double sensitivity, double specificity, double prevalence) {
        double tp = sensitivity * prevalence;
        return tp / (tp + (1 - specificity) * (1 - prevalence));
    }

    /** NPV from sensitivity, specificity and prevalence, all in [0, 1]; NaN when undefined (0/0). */
    public static double npv(double sensitivity, double specificity, double prevalence) {
        double tn = specificity * (1 - prevalence);
        return tn / (tn + (1 - sensitivity) * prevalence);
    }

    /**
     * PPV at the reference prevalence from the confusion counts, with the interval above;
     * {@link Estimate#EMPTY} without positives or negatives. n is tp + fn + fp + tn.
     *
     * @throws IllegalArgumentException unless 0 < prevalence < 1 and the counts are >= 0
     */
    public static Estimate ppv(long tp, long fn, long fp, long tn, double prevalence) {
        return of(tp, fn, fp, tn, prevalence, true);
    }

    /** NPV at the reference prevalence; as {@link #ppv(long, long, long, long, double)}. */
    public static Estimate npv(long tp, long fn, long fp, long tn, double prevalence) {
        return of(tp, fn, fp, tn, prevalence, false);
    }

    /**
     * The observed prevalence {@code positives / n} minus a reference prevalence, with a 95% interval by
     * Newcombe's hybrid score method (MOVER with Wilson intervals; Newcombe 1998, method 10):
     * {@code d - sqrt((p - l)² + (u_ref - ref)²)} to {@code d + sqrt((u - p)² + (ref - l_ref)²)}, where
     * [l, u] is the observed prevalence's 95% Wilson interval and [l_ref, u_ref] the reference's. A
     * reference taken as known (a claimed prevalence) has {@code l_ref = u_ref = ref}, and the interval is
     * then the Wilson interval shifted by ref. The two samples are taken as independent. n of the result
     * is {@code n}; {@link Estimate#EMPTY} when n = 0.
     *
     * @throws IllegalArgumentException unless 0 <= positives <= n and referenceLower <= reference <= referenceUpper,
     *                                  all in [0, 1]
     */
    public static Estimate shift(
            long positives, long n, double reference, double referenceLower, double referenceUpper) {
        if (!(referenceLower >= 0
                && referenceLower <= reference
                && reference <= referenceUpper
                && referenceUpper <= 1)) {
            throw new IllegalArgumentException("reference prevalence and bounds must satisfy 0 <= lower <= value "
                    + "<= upper <= 1, got " + reference + " [" + referenceLower + ", " + referenceUpper + "]");
        }
        Estimate observed = Wilson.interval(positives, n);
        if (observed.isEmpty()) {
            return Estimate.EMPTY;
        }
        double p = observed.value();
        double d = p - reference;
        double lower = d - Math.hypot(p - observed.lower(), referenceUpper - reference);
        double upper = d + Math.hypot(observed.upper() - p, reference - referenceLower);
        return new Estimate(d, lower, upper, n);
    }

    private static Estimate of(long tp, long fn, long fp, long tn, double prevalence, boolean positive) {
        if (!(prevalence > 0 && prevalence < 1)) {
            throw new IllegalArgumentException("prevalence must be in (0, 1), got " + prevalence);
        }
        if (tp < 0 || fn < 0 || fp < 0 || tn < 0) {
            throw new IllegalArgumentException("counts must be >= 0");
        }
        if (tp + fn == 0 || tn + fp == 0) {
            return Estimate.EMPTY;
        }
        Estimate sens = Wilson.interval(tp, tp + fn, Z_JOINT);
        Estimate spec = Wilson.interval(tn, tn + fp, Z_JOINT);
        double value =
                positive ? ppv(sens.value(), spec.value(), prevalence) : npv(sens.value(), spec.value(), prevalence);
        double lower =
                positive ? ppv(sens.lower(), spec.lower(), prevalence) : npv(sens.lower(), spec.lower(), prevalence);
        double upper =
                positive ? ppv(sens.upper(), spec.upper(), prevalence) : npv(sens.upper(), spec.upper(), prevalence);
        if (Double.isNaN(value)) {
            return Estimate.EMPTY;
        }
        // The corners are never 0/0: a Wilson lower bound is below 1 and an upper bound above 0.
        return new Estimate(value, lower, upper, tp + fn + fp + tn);
    }
}
