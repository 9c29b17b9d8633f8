package io.vigil.stats;

/**
 * Area under the ROC curve from binned scores.
 *
 * @param auc               the binned AUC (ties within a bin count one half) with its 95% DeLong
 *                          interval clipped to [0, 1]; {@link Estimate#EMPTY} unless both classes
 *                          are present. {@code n} is the number of cases (positives + negatives).
 * @param variance          DeLong variance of the AUC (dimensionless); NaN when either class has
 *                          fewer than 2 cases, in which case the interval is [0, 1]
 * @param binningErrorBound upper bound on |binned AUC - exact AUC| caused by binning,
 *                          sum_b P_b N_b / (2 P N); NaN when the AUC is empty
 */
public record AucEstimate(Estimate auc, double variance, double binningErrorBound) {

    public static final AucEstimate EMPTY = new AucEstimate(Estimate.EMPTY, Double.NaN, Double.NaN);

    public boolean isEmpty() {
        return auc.isEmpty();
    }
}
