package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Random;
import org.apache.commons.statistics.distribution.BinomialDistribution;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DistributionDriftTest {

    private static final double ALPHA = 0.05;
    private static final int RUNS = 200;

    private static KllDoublesSketch sketch(int k, double[] values) {
        KllDoublesSketch s = KllDoublesSketch.newHeapInstance(k);
        for (double v : values) {
            s.update(v);
        }
        return s;
    }

    private static JsonNode golden(String pair) {
        return DriftGolden.drift().get(pair);
    }

    private static String currentOf(String pair) {
        return pair.equals("reference_vs_current_same") ? "current_same" : "current_shifted";
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

    /**
     * Each bin share read from a sketch is a difference of two exclusive ranks, each within eps (the
     * single-sided rank error) of the exact one, so it moves by at most delta = 2 eps. PSI and the
     * JS divergence are sums of per-bin terms f(r, c) that are jointly convex, so over the box
     * [r ± delta] x [c ± delta] a term rises at most to its largest corner value and falls at most
     * by |grad f| . (delta, delta) (a convex function lies above its tangent plane). The JS distance
     * is sqrt(divergence), and |sqrt(a) - sqrt(b)| <= sqrt(|a - b|).
     */
    @ParameterizedTest
    @ValueSource(strings = {"reference_vs_current_same", "reference_vs_current_shifted"})
    void shouldMatchGoldenPsiAndJsWithinRankErrorWhenBinsComeFromSketches(String pair) {
        JsonNode g = golden(pair);
        double[] edges = DriftGolden.doubles(g.get("reference_decile_edges"));
        double[] refValues = DriftGolden.sample("reference");
        double[] curValues = DriftGolden.sample(currentOf(pair));
        KllDoublesSketch ref = sketch(DistributionDrift.K, refValues);
        KllDoublesSketch cur = sketch(DistributionDrift.K, curValues);
        double[] rs = DistributionDrift.binProportions(ref, edges);
        double[] cs = DistributionDrift.binProportions(cur, edges);
        double[] r = DistributionDrift.proportions(DistributionDrift.binCounts(refValues, edges));
        double[] c = DistributionDrift.proportions(DistributionDrift.binCounts(curValues, edges));
        double dr = 2 * DistributionDrift.rankError(ref);
        double dc = 2 * DistributionDrift.rankError(cur);

        double psiTol = 0;
        double jsdTol = 0;
        for (int i = 0; i < r.length; i++) {
            psiTol +=
                    convexTermBound(DistributionDriftTest::psiTerm, DistributionDriftTest::psiGrad, r[i], c[i], dr, dc);
            jsdTol +=
                    convexTermBound(DistributionDriftTest::jsdTerm, DistributionDriftTest::jsdGrad, r[i], c[i], dr, dc);
        }
        assertThat(DistributionDrift.psi(rs, cs))
                .isCloseTo(g.get("psi_reference_deciles").asDouble(), within(psiTol));
        assertThat(DistributionDrift.jensenShannonDistance(rs, cs))
                .isCloseTo(g.get("js_distance_base2_reference_deciles").asDouble(), within(Math.sqrt(jsdTol)));
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

    /** |D_sketch - D_exact| <= eps_ref + eps_cur: each sketch CDF is within its rank error everywhere. */
    @ParameterizedTest
    @ValueSource(strings = {"reference_vs_current_same", "reference_vs_current_shifted"})
    void shouldKeepKsWithinRankErrorWhenStatisticComesFromSketches(String pair) {
        JsonNode g = golden(pair);
        KllDoublesSketch ref = sketch(DistributionDrift.K, DriftGolden.sample("reference"));
        KllDoublesSketch cur = sketch(DistributionDrift.K, DriftGolden.sample(currentOf(pair)));
        double tol = DistributionDrift.rankError(ref) + DistributionDrift.rankError(cur);

        assertThat(tol).isLessThan(0.01);
        assertThat(DistributionDrift.ksStatistic(ref, cur))
                .isCloseTo(g.get("ks_statistic").asDouble(), within(tol));
    }

    @Test
    void shouldMeasureKsBetweenDiscreteDistributionsAtTheTiesNotInsideThem() {
        // kVp-like data: two values, 30% / 70%. Identical distributions must be near 0 (the item-by-item
        // walk of computeKSDelta reported up to the tie's mass), a 30% -> 45% shift must be 0.15.
        Random rnd = new Random(5);
        KllDoublesSketch ref = KllDoublesSketch.newHeapInstance(200);
        KllDoublesSketch same = KllDoublesSketch.newHeapInstance(200);
        KllDoublesSketch shifted = KllDoublesSketch.newHeapInstance(200);
        for (int i = 0; i < 20_000; i++) {
            ref.update(rnd.nextDouble() < 0.3 ? 100 : 120);
        }
        for (int i = 0; i < 3_000; i++) {
            same.update(rnd.nextDouble() < 0.3 ? 100 : 120);
            shifted.update(rnd.nextDouble() < 0.45 ? 100 : 120);
        }
        assertThat(DistributionDrift.ksStatistic(ref, same)).isLessThan(0.03);
        assertThat(DistributionDrift.ksDrift(ref, same, 0.05)).isFalse();
        assertThat(DistributionDrift.ksStatistic(ref, shifted)).isCloseTo(0.15, within(0.03));
    }

    @Test
    void shouldFlagShiftedButNotSameWhenComparingGoldenSketches() {
        KllDoublesSketch ref = sketch(DistributionDrift.K, DriftGolden.sample("reference"));
        ReferenceDistribution reference = ReferenceDistribution.fromSketch(ref, 10);

        DistributionDrift.Report same = DistributionDrift.compare(
                reference, sketch(DistributionDrift.K, DriftGolden.sample("current_same")), ALPHA);
        DistributionDrift.Report shifted = DistributionDrift.compare(
                reference, sketch(DistributionDrift.K, DriftGolden.sample("current_shifted")), ALPHA);

        assertThat(same.ksDrift()).isFalse();
        assertThat(same.psiPValue()).isGreaterThan(ALPHA);
        assertThat(shifted.ksDrift()).isTrue();
        assertThat(shifted.psiPValue()).isLessThan(1e-10);
        assertThat(shifted.nReference()).isEqualTo(5000);
        assertThat(shifted.nCurrent()).isEqualTo(3000);
    }

    /** A k this large retains every item, so the sketch is the exact sample and W1 must match exactly. */
    @ParameterizedTest
    @ValueSource(strings = {"reference_vs_current_same", "reference_vs_current_shifted"})
    void shouldMatchGoldenWassersteinExactlyWhenSketchesRetainAllItems(String pair) {
        JsonNode g = golden(pair);
        KllDoublesSketch ref = sketch(8192, DriftGolden.sample("reference"));
        KllDoublesSketch cur = sketch(8192, DriftGolden.sample(currentOf(pair)));
        assertThat(ref.isEstimationMode()).isFalse();

        assertThat(DistributionDrift.wasserstein1(ref, cur))
                .isCloseTo(g.get("wasserstein_1").asDouble(), within(1e-9));
    }

    /** W1 = integral |F - G| dx over the value range, and each CDF is within its rank error. */
    @ParameterizedTest
    @ValueSource(strings = {"reference_vs_current_same", "reference_vs_current_shifted"})
    void shouldMatchGoldenWassersteinWithinRangeTimesRankErrorWhenSketched(String pair) {
        JsonNode g = golden(pair);
        KllDoublesSketch ref = sketch(DistributionDrift.K, DriftGolden.sample("reference"));
        KllDoublesSketch cur = sketch(DistributionDrift.K, DriftGolden.sample(currentOf(pair)));
        double range = Math.max(ref.getMaxItem(), cur.getMaxItem()) - Math.min(ref.getMinItem(), cur.getMinItem());
        double tol = range * (DistributionDrift.rankError(ref) + DistributionDrift.rankError(cur));

        assertThat(DistributionDrift.wasserstein1(ref, cur))
                .isCloseTo(g.get("wasserstein_1").asDouble(), within(tol));
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
            KllDoublesSketch ref = DistributionDrift.newSketch();
            KllDoublesSketch cur = DistributionDrift.newSketch();
            for (int i = 0; i < 3000; i++) {
                ref.update(rnd.nextGaussian());
            }
            for (int i = 0; i < 2000; i++) {
                cur.update(rnd.nextGaussian());
            }
            DistributionDrift.Report rep =
                    DistributionDrift.compare(ReferenceDistribution.fromSketch(ref, 10), cur, ALPHA);
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
     * N(0,1) against N(mu,1) with mu = 2 Phi^-1(0.575) = 0.3782 has population KS distance 0.15,
     * well above the k = 800 threshold at these sizes (about 0.06).
     */
    @Test
    void shouldDetectShiftWhenKsDistanceIs015() {
        double mu = 0.37818;
        int detected = 0;
        for (int run = 0; run < 100; run++) {
            Random rnd = new Random(5000 + run);
            KllDoublesSketch ref = DistributionDrift.newSketch();
            KllDoublesSketch cur = DistributionDrift.newSketch();
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

    @Test
    void shouldRoundTripReferenceWhenSerialised() {
        KllDoublesSketch ref = sketch(DistributionDrift.K, DriftGolden.sample("reference"));
        ReferenceDistribution a = ReferenceDistribution.fromSketch(ref, 10);
        ReferenceDistribution b = ReferenceDistribution.fromBytes(a.toBytes());

        assertThat(b.edges()).containsExactly(a.edges());
        assertThat(b.proportions()).containsExactly(a.proportions());
        assertThat(b.n()).isEqualTo(5000);
        assertThat(b.sketch().getQuantile(0.5)).isEqualTo(ref.getQuantile(0.5));
        // decile edges of the reference, so each share is 0.1 up to the PMF rank error
        for (double p : a.proportions()) {
            assertThat(p).isCloseTo(0.1, within(ref.getNormalizedRankError(true) + 1.0 / 5000));
        }
    }

    @Test
    void shouldCollapseBinsWhenReferenceHasTies() {
        KllDoublesSketch ref = DistributionDrift.newSketch();
        for (int i = 0; i < 1000; i++) {
            ref.update(i % 3);
        }
        ReferenceDistribution r = ReferenceDistribution.fromSketch(ref, 10);

        assertThat(r.edges()).containsExactly(0.0, 1.0, 2.0);
        assertThat(r.bins()).isEqualTo(4);
        assertThat(DistributionDrift.binCounts(new double[] {-1, 0, 0.5, 1, 2, 7}, r.edges()))
                .containsExactly(1, 2, 1, 2);
    }
}
