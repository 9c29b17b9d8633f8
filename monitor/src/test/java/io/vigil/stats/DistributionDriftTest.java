package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Random;
import org.apache.commons.statistics.distribution.BinomialDistribution;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Drift statistics from {@link ValueHistogram}s. A histogram's CDF is exact at its bucket boundaries, so every
 * statistic is that of the two samples with each value rounded to the lower bound of its bucket (at the coarser
 * of the two resolutions): the tests check that exactly, and bound the distance to SciPy's statistics of the raw
 * samples (golden.json) by the rounding, measured on the data.
 */
class DistributionDriftTest {

    private static final double ALPHA = 0.05;
    private static final int RUNS = 200;

    /** Relative width of a bucket at the finest resolution. */
    private static final double RESOLUTION = Math.scalb(1.0, -ValueHistogram.MANTISSA_BITS);

    private static ValueHistogram histogram(int maxBuckets, double[] values) {
        ValueHistogram h = new ValueHistogram(maxBuckets);
        for (double v : values) {
            h.update(v);
        }
        return h;
    }

    private static ValueHistogram histogram(double[] values) {
        return histogram(DistributionDrift.MAX_BUCKETS, values);
    }

    private static JsonNode golden(String pair) {
        return DriftGolden.drift().get(pair);
    }

    private static String currentOf(String pair) {
        return pair.equals("reference_vs_current_same") ? "current_same" : "current_shifted";
    }

    /** The resolution both histograms are compared at: the coarser one's. */
    private static int commonLevel(ValueHistogram a, ValueHistogram b) {
        return Math.max(a.coarsening(), b.coarsening());
    }

    /** Each value replaced by the lower bound of its bucket at {@code level}: the sample a histogram stands for. */
    private static double[] rounded(double[] values, int level) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = ValueHistogram.boundary(ValueHistogram.keyOf(values[i], level), level);
        }
        return out;
    }

    /** Largest share of a histogram's values that share one bucket at {@code level}. */
    private static double maxBucketShare(ValueHistogram h, int level) {
        ValueHistogram c = h.atCoarsening(level);
        long max = 0;
        for (int i = 0; i < c.buckets(); i++) {
            max = Math.max(max, c.count(i));
        }
        return (double) max / c.n();
    }

    private static double meanAbs(double[] values) {
        double s = 0;
        for (double v : values) {
            s += Math.abs(v);
        }
        return s / values.length;
    }

    private static double meanAbsDifference(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += Math.abs(a[i] - b[i]);
        }
        return s / a.length;
    }

    private interface Walk {
        void at(double x, double diff);
    }

    /** |F - G| of two samples' empirical CDFs at each distinct value, after all of both samples' mass there. */
    private static void walk(double[] a, double[] b, Walk walk) {
        double[] x = a.clone();
        double[] y = b.clone();
        Arrays.sort(x);
        Arrays.sort(y);
        int i = 0;
        int j = 0;
        while (i < x.length || j < y.length) {
            double v = Math.min(
                    i < x.length ? x[i] : Double.POSITIVE_INFINITY, j < y.length ? y[j] : Double.POSITIVE_INFINITY);
            while (i < x.length && x[i] == v) {
                i++;
            }
            while (j < y.length && y[j] == v) {
                j++;
            }
            walk.at(v, Math.abs((double) i / x.length - (double) j / y.length));
        }
    }

    /** The exact two-sample KS statistic sup_x |F(x) - G(x)| (scipy.stats.ks_2samp's). */
    private static double exactKs(double[] a, double[] b) {
        double[] d = {0};
        walk(a, b, (x, diff) -> d[0] = Math.max(d[0], diff));
        return d[0];
    }

    /** The exact Wasserstein-1 distance, integral |F - G| dx (scipy.stats.wasserstein_distance's). */
    private static double exactW1(double[] a, double[] b) {
        double[] acc = {0, Double.NaN, 0};
        walk(a, b, (x, diff) -> {
            if (!Double.isNaN(acc[1])) {
                acc[0] += acc[2] * (x - acc[1]);
            }
            acc[1] = x;
            acc[2] = diff;
        });
        return acc[0];
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference_vs_current_same", "reference_vs_current_shifted"})
    void shouldMatchGoldenPsiAndJsExactlyWhenBinCountsAreExact(String pair) {
        JsonNode g = golden(pair);
        double[] edges = DriftGolden.doubles(g.get("reference_decile_edges"));
        long[] r = DistributionDrift.binCounts(DriftGolden.sample("reference"), edges);
        long[] c = DistributionDrift.binCounts(DriftGolden.sample(currentOf(pair)), edges);

        assertThat(DistributionDrift.psi(r, c))
                .isCloseTo(g.get("psi_reference_deciles").asDouble(), within(1e-9));
        assertThat(DistributionDrift.jensenShannonDistance(r, c))
                .isCloseTo(g.get("js_distance_base2_reference_deciles").asDouble(), within(1e-9));
    }

    /** The test's exact KS and W1 are SciPy's, so they can stand for SciPy on rounded samples below. */
    @ParameterizedTest
    @ValueSource(strings = {"reference_vs_current_same", "reference_vs_current_shifted"})
    void shouldMatchGoldenKsAndWassersteinWhenComputedExactlyFromTheSamples(String pair) {
        JsonNode g = golden(pair);
        double[] ref = DriftGolden.sample("reference");
        double[] cur = DriftGolden.sample(currentOf(pair));

        assertThat(exactKs(ref, cur)).isCloseTo(g.get("ks_statistic").asDouble(), within(1e-12));
        assertThat(exactW1(ref, cur)).isCloseTo(g.get("wasserstein_1").asDouble(), within(1e-9));
    }

    /**
     * Bin shares read from a histogram count each bucket in the bin of its lower bound, so bin j, [e_j, e_j+1),
     * loses the values at or above e_j of the bucket e_j cuts and gains those at or above e_j+1 of the bucket e_j+1
     * cuts: its share is within delta_j = max(cut(e_j), cut(e_j+1)) of the exact one, cut(e) =
     * straddlingShare(histogram, {e}), and so within straddlingShare(histogram, edges), their largest over the edges
     * (the golden decile edges are data values, not bucket boundaries). PSI and the JS divergence are sums of per-bin terms
     * f(r, c) that are jointly convex, so over the box [r ± delta_r] x [c ± delta_c] a term rises at most to its
     * largest corner value and falls at most by |grad f| . (delta_r, delta_c) (a convex function lies above its
     * tangent plane). The JS distance is sqrt(divergence).
     */
    @ParameterizedTest
    @ValueSource(strings = {"reference_vs_current_same", "reference_vs_current_shifted"})
    void shouldMatchGoldenPsiAndJsWithinStraddlingSharesWhenBinsComeFromHistograms(String pair) {
        JsonNode g = golden(pair);
        double[] edges = DriftGolden.doubles(g.get("reference_decile_edges"));
        double[] refValues = DriftGolden.sample("reference");
        double[] curValues = DriftGolden.sample(currentOf(pair));
        ValueHistogram ref = histogram(refValues);
        ValueHistogram cur = histogram(curValues);
        double[] rs = DistributionDrift.binProportions(ref, edges);
        double[] cs = DistributionDrift.binProportions(cur, edges);
        double[] r = DistributionDrift.proportions(DistributionDrift.binCounts(refValues, edges));
        double[] c = DistributionDrift.proportions(DistributionDrift.binCounts(curValues, edges));
        double[] dr = binShareErrors(ref, edges);
        double[] dc = binShareErrors(cur, edges);

        // the bins are those of the bucket-rounded samples, exactly
        assertThat(rs)
                .containsExactly(DistributionDrift.proportions(
                        DistributionDrift.binCounts(rounded(refValues, ref.coarsening()), edges)));
        assertThat(cs)
                .containsExactly(DistributionDrift.proportions(
                        DistributionDrift.binCounts(rounded(curValues, cur.coarsening()), edges)));
        // edges inside buckets: the bound is not vacuous (0 would make this the exact test), nor loose
        double sr = DistributionDrift.straddlingShare(ref, edges);
        double sc = DistributionDrift.straddlingShare(cur, edges);
        assertThat(sr).isGreaterThan(0).isLessThan(0.04);
        assertThat(sc).isGreaterThan(0).isLessThan(0.04);
        for (int i = 0; i < r.length; i++) {
            assertThat(dr[i]).isLessThanOrEqualTo(sr);
            assertThat(dc[i]).isLessThanOrEqualTo(sc);
            assertThat(rs[i]).as("reference bin %d", i).isCloseTo(r[i], within(dr[i]));
            assertThat(cs[i]).as("current bin %d", i).isCloseTo(c[i], within(dc[i]));
        }

        double psiTol = 0;
        double jsdTol = 0;
        for (int i = 0; i < r.length; i++) {
            psiTol += convexTermBound(
                    DistributionDriftTest::psiTerm, DistributionDriftTest::psiGrad, r[i], c[i], dr[i], dc[i]);
            jsdTol += convexTermBound(
                    DistributionDriftTest::jsdTerm, DistributionDriftTest::jsdGrad, r[i], c[i], dr[i], dc[i]);
        }
        // tight enough to tell the pairs apart: golden PSI 0.0028 / 0.179, JS divergence 0.0005 / 0.031
        assertThat(psiTol).isLessThan(0.05);
        assertThat(jsdTol).isLessThan(0.01);
        assertThat(DistributionDrift.psi(rs, cs))
                .isCloseTo(g.get("psi_reference_deciles").asDouble(), within(psiTol));
        double js = g.get("js_distance_base2_reference_deciles").asDouble();
        assertThat(DistributionDrift.jensenShannonDivergence(rs, cs)).isCloseTo(js * js, within(jsdTol));
        // |sqrt(a) - sqrt(b)| <= min(sqrt(|a - b|), |a - b| / sqrt(a))
        assertThat(DistributionDrift.jensenShannonDistance(rs, cs))
                .isCloseTo(js, within(Math.min(Math.sqrt(jsdTol), jsdTol / js)));
    }

    /** Per bin, the most its share can be off: the larger share of the buckets its two edges cut. */
    private static double[] binShareErrors(ValueHistogram h, double[] edges) {
        double[] cut = new double[edges.length + 2]; // cut[k + 1]: edge k; 0 at the open ends
        for (int k = 0; k < edges.length; k++) {
            cut[k + 1] = DistributionDrift.straddlingShare(h, new double[] {edges[k]});
        }
        double[] d = new double[edges.length + 1];
        for (int j = 0; j < d.length; j++) {
            d[j] = Math.max(cut[j], cut[j + 1]);
        }
        return d;
    }

    interface Term {
        double at(double r, double c);
    }

    private static double convexTermBound(Term f, Term gradL1, double r, double c, double dr, double dc) {
        double f0 = f.at(r, c);
        double up = 0;
        for (double sr : new double[] {-1, 1}) {
            for (double sc : new double[] {-1, 1}) {
                double rr = Math.max(0, r + sr * dr);
                double cc = Math.max(0, c + sc * dc);
                up = Math.max(up, f.at(rr, cc) - f0);
            }
        }
        return Math.max(up, gradL1.at(r, c) * Math.max(dr, dc));
    }

    private static double psiTerm(double r, double c) {
        double rr = Math.max(r, DistributionDrift.PSI_EPSILON);
        double cc = Math.max(c, DistributionDrift.PSI_EPSILON);
        return (cc - rr) * Math.log(cc / rr);
    }

    /** |d/dr| + |d/dc| of (c - r) ln(c/r). */
    private static double psiGrad(double r, double c) {
        double l = Math.log(c / r);
        return Math.abs(1 - c / r - l) + Math.abs(1 - r / c + l);
    }

    private static double jsdTerm(double r, double c) {
        double m = (r + c) / 2;
        double s = (r > 0 ? r * Math.log(r / m) : 0) + (c > 0 ? c * Math.log(c / m) : 0);
        return s / (2 * Math.log(2));
    }

    /** |d/dr| + |d/dc| of the base-2 JS divergence term: 0.5 |log2(r/m)| + 0.5 |log2(c/m)|. */
    private static double jsdGrad(double r, double c) {
        double m = (r + c) / 2;
        return 0.5 * Math.abs(Math.log(r / m) / Math.log(2)) + 0.5 * Math.abs(Math.log(c / m) / Math.log(2));
    }

    /**
     * The histogram KS is sup |F - G| over the bucket boundaries, where both CDFs are exact: a sup over fewer points
     * than the exact KS, so never larger. From a bucket's lower bound to any x inside it, F rises by between 0 and
     * that bucket's share of the reference and G by between 0 and its share of the current, so F - G moves by at
     * most the larger of the two: the exact KS exceeds the histogram's by at most the larger of the two samples'
     * largest bucket shares (at the common resolution). (Their sum, also a bound, is 0.013 here: as large as the
     * statistic of the "same" pair.)
     */
    @ParameterizedTest
    @ValueSource(strings = {"reference_vs_current_same", "reference_vs_current_shifted"})
    void shouldKeepKsWithinLargestBucketSharesWhenStatisticComesFromHistograms(String pair) {
        JsonNode g = golden(pair);
        double[] refValues = DriftGolden.sample("reference");
        double[] curValues = DriftGolden.sample(currentOf(pair));
        ValueHistogram ref = histogram(refValues);
        ValueHistogram cur = histogram(curValues);
        int level = commonLevel(ref, cur);
        double tol = Math.max(maxBucketShare(ref, level), maxBucketShare(cur, level));
        double ks = DistributionDrift.ksStatistic(ref, cur);
        double exact = g.get("ks_statistic").asDouble();

        assertThat(level).isZero();
        assertThat(tol).isGreaterThan(0).isLessThan(0.01);
        assertThat(ks).isLessThanOrEqualTo(exact + 1e-12).isGreaterThanOrEqualTo(exact - tol);
        assertThat(ks).isCloseTo(exactKs(rounded(refValues, level), rounded(curValues, level)), within(1e-12));
    }

    @Test
    void shouldMeasureKsBetweenDiscreteDistributionsAtTheTiesNotInsideThem() {
        // kVp-like data: two values, 30% / 70%. Identical distributions must be near 0 (an item-by-item walk
        // reports up to the tie's mass), a 30% -> 45% shift must be 0.15. Each value is one bucket, so the
        // histogram KS is exactly |share of 100 in the reference - share in the current|.
        Random rnd = new Random(5);
        ValueHistogram ref = new ValueHistogram(DistributionDrift.MAX_BUCKETS);
        ValueHistogram same = new ValueHistogram(DistributionDrift.MAX_BUCKETS);
        ValueHistogram shifted = new ValueHistogram(DistributionDrift.MAX_BUCKETS);
        long ref100 = 0;
        long same100 = 0;
        long shifted100 = 0;
        for (int i = 0; i < 20_000; i++) {
            boolean low = rnd.nextDouble() < 0.3;
            ref.update(low ? 100 : 120);
            ref100 += low ? 1 : 0;
        }
        for (int i = 0; i < 3_000; i++) {
            boolean low = rnd.nextDouble() < 0.3;
            same.update(low ? 100 : 120);
            same100 += low ? 1 : 0;
            low = rnd.nextDouble() < 0.45;
            shifted.update(low ? 100 : 120);
            shifted100 += low ? 1 : 0;
        }
        assertThat(ref.buckets()).isEqualTo(2);
        assertThat(DistributionDrift.ksStatistic(ref, same))
                .isEqualTo(Math.abs(ref100 / 20_000.0 - same100 / 3_000.0))
                .isLessThan(0.03);
        assertThat(DistributionDrift.ksDrift(ref, same, 0.05)).isFalse();
        assertThat(DistributionDrift.ksStatistic(ref, shifted))
                .isEqualTo(Math.abs(ref100 / 20_000.0 - shifted100 / 3_000.0))
                .isCloseTo(0.15, within(0.03));
        assertThat(DistributionDrift.ksDrift(ref, shifted, 0.05)).isTrue();
    }

    @Test
    void shouldFlagShiftedButNotSameWhenComparingGoldenHistograms() {
        ValueHistogram ref = histogram(DriftGolden.sample("reference"));
        ReferenceDistribution reference = ReferenceDistribution.fromHistogram(ref, 10);

        DistributionDrift.Report same =
                DistributionDrift.compare(reference, histogram(DriftGolden.sample("current_same")), ALPHA);
        DistributionDrift.Report shifted =
                DistributionDrift.compare(reference, histogram(DriftGolden.sample("current_shifted")), ALPHA);

        assertThat(same.ksDrift()).isFalse();
        assertThat(same.ksPValue()).isGreaterThan(ALPHA);
        assertThat(same.psiPValue()).isGreaterThan(ALPHA);
        assertThat(shifted.ksDrift()).isTrue();
        assertThat(shifted.ksPValue()).isLessThan(1e-10);
        assertThat(shifted.psiPValue()).isLessThan(1e-10);
        assertThat(shifted.nReference()).isEqualTo(5000);
        assertThat(shifted.nCurrent()).isEqualTo(3000);
    }

    /**
     * Moving every value to its bucket's lower bound moves it by less than 2^-7 of its magnitude, and W1 between the
     * rounded samples differs from W1 between the raw ones by at most the mean displacement of each sample (triangle
     * inequality, coupling each value with its rounding): within 2^-7 (E|X| + E|Y|) of SciPy's value. The histogram
     * W1 is exactly that of the rounded samples.
     */
    @ParameterizedTest
    @ValueSource(strings = {"reference_vs_current_same", "reference_vs_current_shifted"})
    void shouldMatchGoldenWassersteinWithinBucketResolution(String pair) {
        JsonNode g = golden(pair);
        double[] refValues = DriftGolden.sample("reference");
        double[] curValues = DriftGolden.sample(currentOf(pair));
        ValueHistogram ref = histogram(refValues);
        ValueHistogram cur = histogram(curValues);
        int level = commonLevel(ref, cur);
        double[] refRounded = rounded(refValues, level);
        double[] curRounded = rounded(curValues, level);
        double w1 = DistributionDrift.wasserstein1(ref, cur);
        double exact = g.get("wasserstein_1").asDouble();
        double displacement = meanAbsDifference(refValues, refRounded) + meanAbsDifference(curValues, curRounded);
        double resolutionBound = Math.scalb(RESOLUTION, level) * (meanAbs(refValues) + meanAbs(curValues));

        assertThat(level).isZero();
        assertThat(w1).isCloseTo(exactW1(refRounded, curRounded), within(1e-12));
        assertThat(displacement).isLessThanOrEqualTo(resolutionBound);
        assertThat(resolutionBound).isLessThan(0.01);
        assertThat(w1).isCloseTo(exact, within(displacement)).isCloseTo(exact, within(resolutionBound));
    }

    /**
     * SciPy's golden p-value is exact; the asymptotic one differs by O(1/sqrt(n_e)), n_e = nm/(n+m) =
     * 1875 here, so 1/sqrt(1875) = 0.023 is the tolerance.
     */
    @Test
    void shouldApproximateGoldenKsPValueWhenUsingAsymptoticDistribution() {
        JsonNode same = golden("reference_vs_current_same");
        JsonNode shifted = golden("reference_vs_current_shifted");
        double pSame = DistributionDrift.ksPValue(same.get("ks_statistic").asDouble(), 5000, 3000);
        double pShift = DistributionDrift.ksPValue(shifted.get("ks_statistic").asDouble(), 5000, 3000);

        assertThat(pSame).isCloseTo(same.get("ks_pvalue").asDouble(), within(1 / Math.sqrt(1875.0)));
        assertThat(Math.log10(pShift))
                .isCloseTo(Math.log10(shifted.get("ks_pvalue").asDouble()), within(0.5));
    }

    @Test
    void shouldAgreeAcrossSeriesWhenKolmogorovSurvivalSwitchesForm() {
        // Both forms are valid everywhere; the switch at 1.18 must be seamless. Known values: Q(1.36) ~ 0.0494.
        assertThat(DistributionDrift.kolmogorovSurvival(1.1799))
                .isCloseTo(DistributionDrift.kolmogorovSurvival(1.18), within(1e-4));
        assertThat(DistributionDrift.kolmogorovSurvival(1.3581)).isCloseTo(0.05, within(2e-4));
        assertThat(DistributionDrift.kolmogorovSurvival(0)).isEqualTo(1.0);
    }

    /** c(alpha) sqrt((n + m)/(nm)), c(alpha) = sqrt(-ln(alpha/2)/2), plus the rank errors (0 here). */
    @Test
    void shouldUseAsymptoticKolmogorovCriticalValueForKsThreshold() {
        ValueHistogram ref = histogram(DriftGolden.sample("reference"));
        ValueHistogram cur = histogram(DriftGolden.sample("current_same"));
        double c = Math.sqrt(-Math.log(ALPHA / 2) / 2);

        assertThat(c).isCloseTo(1.3581, within(1e-4));
        assertThat(DistributionDrift.ksThreshold(ref, cur, ALPHA))
                .isCloseTo(c * Math.sqrt((5000.0 + 3000) / (5000.0 * 3000)), within(1e-15));
        // the threshold is the level-alpha point of the p-value
        assertThat(DistributionDrift.ksPValue(DistributionDrift.ksThreshold(ref, cur, ALPHA), 5000, 3000))
                .isCloseTo(ALPHA, within(1e-6));
    }

    /** Largest number of flags among RUNS tests at level ALPHA that a 99.9% binomial bound allows. */
    private static int nullFlagBound() {
        return BinomialDistribution.of(RUNS, ALPHA).inverseCumulativeProbability(0.999);
    }

    @Test
    void shouldFlagAtMostNominalShareWhenDistributionsAreEqual() {
        int ksFlags = 0;
        int ksPFlags = 0;
        int psiFlags = 0;
        for (int run = 0; run < RUNS; run++) {
            Random rnd = new Random(1000 + run);
            ValueHistogram ref = DistributionDrift.newHistogram();
            ValueHistogram cur = DistributionDrift.newHistogram();
            for (int i = 0; i < 3000; i++) {
                ref.update(rnd.nextGaussian());
            }
            for (int i = 0; i < 2000; i++) {
                cur.update(rnd.nextGaussian());
            }
            DistributionDrift.Report rep =
                    DistributionDrift.compare(ReferenceDistribution.fromHistogram(ref, 10), cur, ALPHA);
            ksFlags += rep.ksDrift() ? 1 : 0;
            ksPFlags += rep.ksPValue() < ALPHA ? 1 : 0;
            psiFlags += rep.psiPValue() < ALPHA ? 1 : 0;
        }
        int bound = nullFlagBound();
        assertThat(bound).isLessThan(25);
        assertThat(ksFlags).isLessThanOrEqualTo(bound);
        assertThat(ksPFlags).isLessThanOrEqualTo(bound);
        assertThat(psiFlags).isLessThanOrEqualTo(bound);
    }

    /**
     * N(0,1) against N(mu,1) with mu = 2 Phi^-1(0.575) = 0.3782 has population KS distance 0.15, well above the
     * threshold at these sizes (1.358 sqrt(8000/15e6) = 0.031).
     */
    @Test
    void shouldDetectShiftWhenKsDistanceIs015() {
        double mu = 0.37818;
        int detected = 0;
        for (int run = 0; run < 100; run++) {
            Random rnd = new Random(5000 + run);
            ValueHistogram ref = DistributionDrift.newHistogram();
            ValueHistogram cur = DistributionDrift.newHistogram();
            for (int i = 0; i < 5000; i++) {
                ref.update(rnd.nextGaussian());
            }
            for (int i = 0; i < 3000; i++) {
                cur.update(rnd.nextGaussian() + mu);
            }
            detected += DistributionDrift.ksDrift(ref, cur, ALPHA) ? 1 : 0;
        }
        assertThat(detected).isEqualTo(100);
    }

    /**
     * fromHistogram's edges are lower bounds of buckets: the cumulative share below edge i is in [i/10 - s, i/10),
     * s the largest bucket share, so each decile bin's share is within s of 0.1.
     */
    @Test
    void shouldRoundTripReferenceWhenSerialised() {
        ValueHistogram ref = histogram(DriftGolden.sample("reference"));
        ReferenceDistribution a = ReferenceDistribution.fromHistogram(ref, 10);
        ReferenceDistribution b = ReferenceDistribution.fromBytes(a.toBytes());

        assertThat(b.edges()).containsExactly(a.edges());
        assertThat(b.proportions()).containsExactly(a.proportions());
        assertThat(b.n()).isEqualTo(5000);
        assertThat(b.histogram()).isEqualTo(ref);
        assertThat(b.histogram().toBytes()).isEqualTo(ref.toBytes());
        assertThat(b.toBytes()).isEqualTo(a.toBytes());
        double s = maxBucketShare(ref, ref.coarsening());
        assertThat(s).isLessThan(0.01);
        assertThat(a.bins()).isEqualTo(10);
        for (double p : a.proportions()) {
            assertThat(p).isCloseTo(0.1, within(s));
        }
    }

    @Test
    void shouldCollapseBinsWhenReferenceHasTies() {
        ValueHistogram ref = DistributionDrift.newHistogram();
        for (int i = 0; i < 1000; i++) {
            ref.update(i % 3);
        }
        ReferenceDistribution r = ReferenceDistribution.fromHistogram(ref, 10);

        assertThat(r.edges()).containsExactly(0.0, 1.0, 2.0);
        assertThat(r.bins()).isEqualTo(4);
        assertThat(r.proportions()).containsExactly(0.0, 0.334, 0.333, 0.333);
        assertThat(DistributionDrift.binCounts(new double[] {-1, 0, 0.5, 1, 2, 7}, r.edges()))
                .containsExactly(1, 2, 1, 2);
    }

    /** Values over many binades and of both signs, so that a histogram of them coarsens. */
    private static double[] wideValues(long seed, int n) {
        Random rnd = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (rnd.nextBoolean() ? 1 : -1) * Math.exp(4 * rnd.nextGaussian());
        }
        return v;
    }

    /**
     * One set of values gives one histogram, bit for bit, whatever the order of updates and the grouping of merges
     * (unlike a KLL sketch): shuffled, cut into uneven partitions that each coarsen on their own, merged in another
     * order, the current histogram and so the whole Report are identical.
     */
    @ParameterizedTest
    @ValueSource(ints = {DistributionDrift.MAX_BUCKETS, 200})
    void shouldGiveBitIdenticalReportWhenCurrentIsBuiltInAnotherOrderAndGrouping(int maxBuckets) {
        double[] values = wideValues(3, 40_000);
        ReferenceDistribution reference = ReferenceDistribution.fromHistogram(histogram(wideValues(4, 40_000)), 10);
        ValueHistogram inOrder = histogram(maxBuckets, values);

        double[] shuffled = values.clone();
        Random rnd = new Random(9);
        for (int i = shuffled.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            double t = shuffled[i];
            shuffled[i] = shuffled[j];
            shuffled[j] = t;
        }
        int[] cuts = {0, 7, 900, 901, 15_000, 32_000, shuffled.length};
        ValueHistogram[] parts = new ValueHistogram[cuts.length - 1];
        for (int p = 0; p < parts.length; p++) {
            parts[p] = histogram(maxBuckets, Arrays.copyOfRange(shuffled, cuts[p], cuts[p + 1]));
        }
        // ((p5 + p3) + (p1 + p4)) + (p0 + p2), partitions at different coarsenings
        ValueHistogram left = parts[5].copy();
        left.merge(parts[3]);
        ValueHistogram right = parts[1].copy();
        right.merge(parts[4]);
        left.merge(right);
        ValueHistogram last = parts[0].copy();
        last.merge(parts[2]);
        left.merge(last);

        assertThat(inOrder.coarsening()).isGreaterThan(0);
        // the partitions sit at several coarsenings, all finer than (or as fine as) the whole
        assertThat(Arrays.stream(parts)
                        .mapToInt(ValueHistogram::coarsening)
                        .distinct()
                        .count())
                .isGreaterThanOrEqualTo(2);
        assertThat(parts[0].coarsening()).isLessThan(inOrder.coarsening());
        assertThat(left).isEqualTo(inOrder);
        assertThat(left.toBytes()).isEqualTo(inOrder.toBytes());
        DistributionDrift.Report a = DistributionDrift.compare(reference, inOrder, ALPHA);
        DistributionDrift.Report b = DistributionDrift.compare(reference, left, ALPHA);
        // record equality compares doubles with Double.compare: the same bits
        assertThat(b).isEqualTo(a);
        assertThat(Double.doubleToRawLongBits(b.wasserstein1()))
                .isEqualTo(Double.doubleToRawLongBits(a.wasserstein1()));
        assertThat(a.nCurrent()).isEqualTo(values.length);
    }

    /**
     * A legacy KLL sketch converted to a histogram keeps its rank error, and compare() allows for it: the threshold
     * adds it and the KS p-value is that of the distance less the error, so never below the plain p-value of the
     * distance. A histogram of the values themselves has no such error.
     */
    @Test
    void shouldCarryConvertedSketchErrorIntoKsThresholdAndPValue() {
        Random rnd = new Random(17);
        ValueHistogram refHistogram = DistributionDrift.newHistogram();
        for (int i = 0; i < 50_000; i++) {
            refHistogram.update(rnd.nextGaussian());
        }
        ReferenceDistribution reference = ReferenceDistribution.fromHistogram(refHistogram, 10);
        KllDoublesSketch sketch = KllSketches.newSketch(200);
        ValueHistogram values = DistributionDrift.newHistogram();
        for (int i = 0; i < 200_000; i++) {
            double v = rnd.nextGaussian();
            sketch.update(v);
            values.update(v);
        }
        ValueHistogram converted = KllSketches.toHistogram(sketch, DistributionDrift.MAX_BUCKETS);
        double eps = DistributionDrift.rankError(converted);
        long n = reference.n();
        long m = 200_000;
        double c = Math.sqrt(-Math.log(ALPHA / 2) / 2) * Math.sqrt((double) (n + m) / ((double) n * m));

        assertThat(sketch.isEstimationMode()).isTrue();
        assertThat(converted.n()).isEqualTo(m);
        assertThat(eps).isGreaterThan(0).isEqualTo(sketch.getNormalizedRankError(false));
        DistributionDrift.Report fromSketch = DistributionDrift.compare(reference, converted, ALPHA);
        assertThat(fromSketch.ksThreshold()).isCloseTo(c + eps, within(1e-15));
        assertThat(fromSketch.ksPValue())
                .isEqualTo(DistributionDrift.ksPValue(Math.max(0, fromSketch.ks() - eps), n, m))
                .isGreaterThanOrEqualTo(DistributionDrift.ksPValue(fromSketch.ks(), n, m));
        double[] cs = DistributionDrift.binProportions(converted, reference.edges());
        assertThat(fromSketch.psiPValue())
                .isGreaterThanOrEqualTo(DistributionDrift.psiPValue(reference.proportions(), cs, n, m, 0.0));
        // the error survives the reference's serial form
        ReferenceDistribution legacy = ReferenceDistribution.fromHistogram(converted, 10);
        assertThat(ReferenceDistribution.fromBytes(legacy.toBytes()).histogram().rankError())
                .isEqualTo(eps);

        assertThat(DistributionDrift.rankError(values)).isZero();
        assertThat(DistributionDrift.sketchError(values, true)).isZero();
        DistributionDrift.Report fromValues = DistributionDrift.compare(reference, values, ALPHA);
        assertThat(fromValues.ksThreshold()).isCloseTo(c, within(1e-15));
        assertThat(fromValues.ksPValue()).isEqualTo(DistributionDrift.ksPValue(fromValues.ks(), n, m));
    }

    /**
     * Reference edges are bucket lower bounds at the reference's resolution, which are boundaries at any finer one:
     * a current histogram as fine or finer has no bucket an edge cuts, and its bin shares are exact. A coarser one
     * has, and each of its bin shares is within the straddling share of the exact one, which compare() adds to the
     * PSI p-value's bin error.
     */
    @Test
    void shouldReportStraddlingShareOnlyWhenCurrentIsCoarserThanReference() {
        double[] refValues = DriftGolden.sample("reference");
        double[] curValues = DriftGolden.sample("current_shifted");
        ValueHistogram fineRef = histogram(refValues);
        ValueHistogram coarseRef = histogram(128, refValues);
        ValueHistogram fineCur = histogram(curValues);
        ValueHistogram coarserCur = histogram(64, curValues);
        assertThat(fineRef.coarsening()).isZero();
        assertThat(fineCur.coarsening()).isZero();
        assertThat(coarseRef.coarsening()).isGreaterThan(0);
        assertThat(coarserCur.coarsening()).isGreaterThan(coarseRef.coarsening());

        double[] fineEdges = ReferenceDistribution.fromHistogram(fineRef, 10).edges();
        double[] coarseEdges =
                ReferenceDistribution.fromHistogram(coarseRef, 10).edges();
        double[] exactFine = DistributionDrift.proportions(DistributionDrift.binCounts(curValues, fineEdges));
        double[] exactCoarse = DistributionDrift.proportions(DistributionDrift.binCounts(curValues, coarseEdges));
        // same resolution
        assertThat(DistributionDrift.straddlingShare(fineCur, fineEdges)).isZero();
        assertThat(DistributionDrift.binProportions(fineCur, fineEdges)).containsExactly(exactFine);
        ValueHistogram sameAsCoarse = fineCur.atCoarsening(coarseRef.coarsening());
        assertThat(DistributionDrift.straddlingShare(sameAsCoarse, coarseEdges)).isZero();
        assertThat(DistributionDrift.binProportions(sameAsCoarse, coarseEdges)).containsExactly(exactCoarse);
        // finer current
        assertThat(DistributionDrift.straddlingShare(fineCur, coarseEdges)).isZero();
        assertThat(DistributionDrift.binProportions(fineCur, coarseEdges)).containsExactly(exactCoarse);
        // coarser current
        double straddling = DistributionDrift.straddlingShare(coarserCur, fineEdges);
        assertThat(straddling).isGreaterThan(0);
        double[] coarseShares = DistributionDrift.binProportions(coarserCur, fineEdges);
        for (int i = 0; i < exactFine.length; i++) {
            assertThat(coarseShares[i]).as("bin %d", i).isCloseTo(exactFine[i], within(straddling));
        }
        ReferenceDistribution reference = ReferenceDistribution.fromHistogram(fineRef, 10);
        DistributionDrift.Report rep = DistributionDrift.compare(reference, coarserCur, ALPHA);
        assertThat(rep.psiPValue())
                .isEqualTo(DistributionDrift.psiPValue(
                        reference.proportions(), coarseShares, reference.n(), coarserCur.n(), straddling));
    }

    /** Histograms at different resolutions are compared at the coarser: statistics of both samples rounded there. */
    @Test
    void shouldCompareAtTheCoarserResolutionWhenHistogramsDiffer() {
        double[] refValues = DriftGolden.sample("reference");
        double[] curValues = DriftGolden.sample("current_shifted");
        ValueHistogram fineRef = histogram(refValues);
        ValueHistogram coarseCur = histogram(64, curValues);
        int level = commonLevel(fineRef, coarseCur);
        double[] r = rounded(refValues, level);
        double[] c = rounded(curValues, level);

        // up to 7 dropped bits a bucket stays within one binade: relative width 2^-(7 - level)
        assertThat(level).isEqualTo(coarseCur.coarsening()).isBetween(1, ValueHistogram.MANTISSA_BITS);
        assertThat(DistributionDrift.ksStatistic(fineRef, coarseCur)).isCloseTo(exactKs(r, c), within(1e-12));
        assertThat(DistributionDrift.ksStatistic(coarseCur, fineRef)).isCloseTo(exactKs(r, c), within(1e-12));
        assertThat(DistributionDrift.wasserstein1(fineRef, coarseCur)).isCloseTo(exactW1(r, c), within(1e-12));
        assertThat(DistributionDrift.wasserstein1(fineRef, coarseCur))
                .isCloseTo(
                        DriftGolden.drift()
                                .get("reference_vs_current_shifted")
                                .get("wasserstein_1")
                                .asDouble(),
                        within(Math.scalb(RESOLUTION, level) * (meanAbs(refValues) + meanAbs(curValues))));
    }
}
