package io.vigil.stats;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.statistics.distribution.ChiSquaredDistribution;

/**
 * Pearson chi-square test of homogeneity on the 2 x K table (reference counts, current counts) of a
 * categorical variable, without continuity correction (golden.json {@code manufacturer_chi_square}).
 *
 * <p>A category with no reference count but a current count is not a chi-square term: it is an
 * acquisition change (a new scanner model, a new protocol) and is reported in
 * {@link Result#newCategories()}. Categories absent from both rows are ignored. A category present
 * in the reference but absent now is an ordinary term.
 */
public final class ChiSquare {

    private ChiSquare() {}

    /**
     * Outcome of one test.
     *
     * @param statistic        Pearson X², or NaN when {@link #isEmpty()}
     * @param degreesOfFreedom (columns used - 1); 0 when {@link #isEmpty()}
     * @param pValue           P(chi-square(dof) > X²), or NaN when {@link #isEmpty()}
     * @param newCategories    categories with current counts but no reference count, with their
     *                         current counts, in input order
     * @param <C>              category type
     */
    public record Result<C>(double statistic, int degreesOfFreedom, double pValue, Map<C, Long> newCategories) {
        public Result {
            newCategories = Collections.unmodifiableMap(new LinkedHashMap<>(newCategories));
        }

        /** True when there is nothing to test: a row is empty or fewer than two categories remain. */
        public boolean isEmpty() {
            return degreesOfFreedom == 0;
        }
    }

    /** Test on parallel count arrays; new categories are reported by column index. */
    public static Result<Integer> test(long[] reference, long[] current) {
        if (reference.length != current.length) {
            throw new IllegalArgumentException("reference and current must have the same number of categories, got "
                    + reference.length + " and " + current.length);
        }
        Map<Integer, Long> ref = new LinkedHashMap<>();
        Map<Integer, Long> cur = new LinkedHashMap<>();
        for (int i = 0; i < reference.length; i++) {
            ref.put(i, reference[i]);
            cur.put(i, current[i]);
        }
        return test(ref, cur);
    }

    /** Test on category -> count maps; a missing key counts as 0. */
    public static <C> Result<C> test(Map<C, Long> reference, Map<C, Long> current) {
        Set<C> keys = new LinkedHashSet<>(reference.keySet());
        keys.addAll(current.keySet());
        List<long[]> columns = new ArrayList<>();
        Map<C, Long> newCategories = new LinkedHashMap<>();
        long refTotal = 0;
        long curTotal = 0;
        for (C key : keys) {
            long r = count(reference, key);
            long c = count(current, key);
            if (r == 0) {
                if (c > 0) {
                    newCategories.put(key, c);
                }
                continue;
            }
            columns.add(new long[] {r, c});
            refTotal += r;
            curTotal += c;
        }
        if (columns.size() < 2 || refTotal == 0 || curTotal == 0) {
            return new Result<>(Double.NaN, 0, Double.NaN, newCategories);
        }
        double total = (double) refTotal + curTotal;
        double x2 = 0;
        for (long[] col : columns) {
            double colTotal = col[0] + col[1];
            double er = refTotal * colTotal / total;
            double ec = curTotal * colTotal / total;
            x2 += (col[0] - er) * (col[0] - er) / er + (col[1] - ec) * (col[1] - ec) / ec;
        }
        int dof = columns.size() - 1;
        return new Result<>(x2, dof, ChiSquaredDistribution.of(dof).survivalProbability(x2), newCategories);
    }

    private static <C> long count(Map<C, Long> counts, C key) {
        Long v = counts.get(key);
        if (v == null) {
            return 0;
        }
        if (v < 0) {
            throw new IllegalArgumentException("count must be >= 0, got " + v);
        }
        return v;
    }
}
