package io.vigil.stats;

/**
 * Predictive values at a reference prevalence π instead of the observed one (Bayes):
 * {@code ppv = sens·π / (sens·π + (1−spec)(1−π))} and {@code npv = spec(1−π) / (spec(1−π) + (1−sens)π)}.
 * Both increase in sensitivity and in specificity, so the interval maps the corners of a joint
 * box: each of sens and spec gets a Wilson interval at 97.5% (Bonferroni), the box holds both true
 * values with probability at least about 95%, and the lower (upper) bound is the formula at both
 * lower (upper) corners. Conservative by construction; π is taken as known (no interval).
 */
public final class PrevalenceAdjusted {
    /** Normal quantile for a two-sided 97.5% interval (each of two, Bonferroni for 95% jointly). */
    public static final double Z_JOINT = 2.241402727604947;

    private PrevalenceAdjusted() {
    }

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
        double value = positive ? ppv(sens.value(), spec.value(), prevalence) : npv(sens.value(), spec.value(), prevalence);
        double lower = positive ? ppv(sens.lower(), spec.lower(), prevalence) : npv(sens.lower(), spec.lower(), prevalence);
        double upper = positive ? ppv(sens.upper(), spec.upper(), prevalence) : npv(sens.upper(), spec.upper(), prevalence);
        if (Double.isNaN(value)) {
            return Estimate.EMPTY;
        }
        // The corners are never 0/0: a Wilson lower bound is below 1 and an upper bound above 0.
        return new Estimate(value, lower, upper, tp + fn + fp + tn);
    }
}
