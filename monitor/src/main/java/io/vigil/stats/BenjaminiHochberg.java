package io.vigil.stats;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Benjamini-Hochberg step-up procedure (Benjamini and Hochberg 1995, JRSS B 57:289-300) over the
 * p-values of one evaluation round (all slices x metrics tested at once): sort ascending, find the
 * largest i with p_(i) <= i q / m, reject hypotheses 1..i. Controls the false discovery rate at q
 * for independent or positively dependent tests.
 */
public final class BenjaminiHochberg {

    private BenjaminiHochberg() {}

    /**
     * Outcome, in the caller's order.
     *
     * @param rejected  whether each hypothesis is rejected at level q
     * @param adjusted  BH-adjusted p-values, min over j >= rank of m p_(j) / j, capped at 1;
     *                  hypothesis i is rejected iff adjusted[i] <= q
     * @param threshold the largest rejected p-value's cut-off i q / m, or 0 when nothing is rejected
     */
    public record Result(boolean[] rejected, double[] adjusted, double threshold) {
        public int rejectedCount() {
            int n = 0;
            for (boolean r : rejected) {
                if (r) {
                    n++;
                }
            }
            return n;
        }
    }

    /**
     * @param pValues p-values in [0, 1] (NaN not allowed: leave untested hypotheses out)
     * @param q       target false discovery rate in (0, 1)
     */
    public static Result apply(double[] pValues, double q) {
        if (!(q > 0 && q < 1)) {
            throw new IllegalArgumentException("q must be in (0, 1), got " + q);
        }
        int m = pValues.length;
        for (int i = 0; i < m; i++) {
            if (!(pValues[i] >= 0 && pValues[i] <= 1)) {
                throw new IllegalArgumentException("p-value " + i + " must be in [0, 1], got " + pValues[i]);
            }
        }
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> pValues[i]));
        int cut = 0;
        for (int rank = m; rank >= 1; rank--) {
            if (pValues[order[rank - 1]] <= rank * q / m) {
                cut = rank;
                break;
            }
        }
        boolean[] rejected = new boolean[m];
        double[] adjusted = new double[m];
        double running = 1.0;
        for (int rank = m; rank >= 1; rank--) {
            int i = order[rank - 1];
            running = Math.min(running, pValues[i] * m / rank);
            adjusted[i] = running;
            rejected[i] = rank <= cut;
        }
        return new Result(rejected, adjusted, cut == 0 ? 0 : cut * q / m);
    }
}
