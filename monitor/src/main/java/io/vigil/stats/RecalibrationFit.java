package io.vigil.stats;

/**
 * Logistic recalibration y ~ a + b·logit(p): perfect calibration is a = 0, b = 1; b < 1 means the
 * scores are over-confident (too extreme), a shifts the overall risk level on the log-odds scale.
 *
 * @param intercept  a with its 95% Wald interval from the inverse Fisher information (log-odds)
 * @param slope      b with its 95% Wald interval (dimensionless)
 * @param iterations Newton iterations used; 0 for {@link #EMPTY}
 */
public record RecalibrationFit(Estimate intercept, Estimate slope, int iterations) {

    /** No fit: no cases, a single class, no spread in logit(p), or separated data. */
    public static final RecalibrationFit EMPTY = new RecalibrationFit(Estimate.EMPTY, Estimate.EMPTY, 0);

    public boolean isEmpty() {
        return slope.isEmpty();
    }
}
