package io.vigil.stats;

/**
 * Murphy's decomposition of the Brier score over the 10 reliability bins, all in squared
 * probability units. Binned terms are not an exact decomposition: reliability - resolution +
 * uncertainty differs from the Brier score by the within-bin variance of the scores.
 *
 * @param reliability sum_k n_k (pbar_k - obar_k)² / N (lower is better)
 * @param resolution  sum_k n_k (obar_k - obar)² / N (higher is better)
 * @param uncertainty obar (1 - obar)
 * @param n           number of cases N
 */
public record BrierDecomposition(double reliability, double resolution, double uncertainty, long n) {

    public static final BrierDecomposition EMPTY = new BrierDecomposition(Double.NaN, Double.NaN, Double.NaN, 0);
}
