package io.vigil.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.vigil.events.MetricSnapshot;
import io.vigil.stats.Estimate;
import io.vigil.stats.Wilson;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.statistics.distribution.TDistribution;
import org.junit.jupiter.api.Test;

class WorstSlicesTest {
    private static final double Z95 = 1.959963984540054;

    private static MetricSnapshot s(String dim, String value, String metric, double est, Double lo, Double hi, long n) {
        return new MetricSnapshot(
                "m",
                "v",
                dim,
                value,
                "7d",
                Instant.EPOCH,
                metric,
                est,
                lo,
                hi,
                n,
                null,
                MetricSnapshot.Status.FINAL,
                Instant.EPOCH);
    }

    /** A proportion snapshot as the performance stage publishes it: k/n with its 95% Wilson interval. */
    private static MetricSnapshot wilson(String dim, String value, String metric, long k, long n) {
        Estimate e = Wilson.interval(k, n);
        return s(dim, value, metric, e.value(), e.lower(), e.upper(), n);
    }

    /** An AUC snapshot with a logit-scale interval of half-width logitHalf × t(0.975, positives - 1). */
    private static MetricSnapshot auc(String dim, String value, double auc, double logitHalf, long n, long positives) {
        double half = logitHalf * TDistribution.of(positives - 1).inverseSurvivalProbability(0.025);
        return s(dim, value, "auc", auc, expit(logit(auc) - half), expit(logit(auc) + half), n);
    }

    private static double logit(double p) {
        return Math.log(p / (1 - p));
    }

    private static double expit(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    private static MetricSnapshot find(List<MetricSnapshot> out, String metric) {
        return out.stream().filter(x -> x.metric().equals(metric)).findFirst().orElseThrow();
    }

    @Test
    void shouldPickLowestSensitivityAmongSlicesWithEnoughCasesWhenHigherIsBetter() {
        List<MetricSnapshot> latest = List.of(
                s("all", "all", "sensitivity", 0.80, 0.78, 0.82, 1000),
                s("scanner", "S01/A", "sensitivity", 0.85, 0.80, 0.90, 200),
                s("scanner", "S02/B", "sensitivity", 0.60, 0.50, 0.70, 100),
                s("scanner", "S03/C", "sensitivity", 0.10, 0.00, 0.50, 5));

        List<MetricSnapshot> out = WorstSlices.compute(latest, 50, Instant.EPOCH);

        assertThat(out)
                .extracting(MetricSnapshot::metric)
                .containsExactly(
                        "worst_slice:sensitivity", "worst_slice_compared:sensitivity", "worst_slice_gap:sensitivity");
        MetricSnapshot w = find(out, "worst_slice_gap:sensitivity");
        assertThat(w.sliceDimension()).isEqualTo("scanner");
        assertThat(w.sliceValue()).isEqualTo("S02/B");
        assertThat(w.estimate()).isCloseTo(-0.20, within(1e-12));
        // Two slices compete (S03/C has n < 50): both intervals at the Bonferroni level 1 - 0.05/2, normal quantile
        // 2.2414 instead of 1.96. These symmetric intervals are not Wilson intervals of their n, so each is
        // scaled by 2.2414/1.96 and the gap is gap ± 2.2414 sqrt(se1² + se2²).
        double z = 2.241402727604947;
        double se1 = 0.10 / Z95;
        double se2 = 0.02 / Z95;
        double half = z * Math.sqrt(se1 * se1 + se2 * se2);
        assertThat(w.lower()).isCloseTo(-0.20 - half, within(1e-12));
        assertThat(w.upper()).isCloseTo(-0.20 + half, within(1e-12));
        assertThat(w.n()).isEqualTo(100);
        MetricSnapshot value = find(out, "worst_slice:sensitivity");
        assertThat(value.estimate()).isEqualTo(0.60);
        assertThat(value.lower()).isCloseTo(0.60 - z * se1, within(1e-12));
        assertThat(value.upper()).isCloseTo(0.60 + z * se1, within(1e-12));
        assertThat(value.n()).isEqualTo(100);
        MetricSnapshot compared = find(out, "worst_slice_compared:sensitivity");
        assertThat(compared.estimate()).isEqualTo(2.0);
        assertThat(compared.n()).isEqualTo(300);
        assertThat(compared.sliceValue()).isEqualTo("S02/B");
    }

    @Test
    void shouldRecomputeTheWilsonIntervalAtTheBonferroniLevelWhenTheSnapshotCarriesAWilsonInterval() {
        List<MetricSnapshot> latest = new ArrayList<>();
        latest.add(wilson("all", "all", "specificity", 1_800, 2_000));
        for (int j = 0; j < 20; j++) {
            latest.add(wilson("site", String.format("S%02d", j), "specificity", 90 - (j == 7 ? 12 : 0), 100));
        }

        List<MetricSnapshot> out = WorstSlices.compute(latest, 50, Instant.EPOCH);

        MetricSnapshot value = find(out, "worst_slice:specificity");
        assertThat(value.sliceValue()).isEqualTo("S07");
        assertThat(find(out, "worst_slice_compared:specificity").estimate()).isEqualTo(20.0);
        // Bonferroni over 20: two-sided 1 - 0.0025, z = 3.0233.
        Estimate expected = Wilson.interval(78, 100, 3.023341439739056);
        assertThat(value.lower()).isCloseTo(expected.lower(), within(1e-12));
        assertThat(value.upper()).isCloseTo(expected.upper(), within(1e-12));
        // MOVER: Wilson is asymmetric, so are the gap's two sides.
        Estimate all = Wilson.interval(1_800, 2_000, 3.023341439739056);
        MetricSnapshot gap = find(out, "worst_slice_gap:specificity");
        assertThat(gap.estimate()).isCloseTo(-0.12, within(1e-12));
        assertThat(gap.lower())
                .isCloseTo(-0.12 - Math.hypot(0.78 - expected.lower(), all.upper() - 0.9), within(1e-12));
        assertThat(gap.upper())
                .isCloseTo(-0.12 + Math.hypot(expected.upper() - 0.78, 0.9 - all.lower()), within(1e-12));
    }

    @Test
    void shouldKeepThePublishedIntervalWhenOnlyOneSliceCompetes() {
        MetricSnapshot slice = wilson("site", "S01", "sensitivity", 40, 60);
        List<MetricSnapshot> out = WorstSlices.compute(
                List.of(
                        wilson("all", "all", "sensitivity", 400, 500),
                        slice,
                        wilson("site", "S02", "sensitivity", 10, 20)),
                50,
                Instant.EPOCH);

        MetricSnapshot value = find(out, "worst_slice:sensitivity");
        assertThat(find(out, "worst_slice_compared:sensitivity").estimate()).isEqualTo(1.0);
        assertThat(value.lower()).isCloseTo(slice.lower(), within(1e-12));
        assertThat(value.upper()).isCloseTo(slice.upper(), within(1e-12));
    }

    @Test
    void shouldWidenTheAucIntervalOnTheLogitScaleWithTheSlicesOwnDegreesOfFreedom() {
        // DeLong logit intervals with t on min(P, N) - 1 df; the prevalence snapshot over the same cases gives P.
        List<MetricSnapshot> latest = new ArrayList<>();
        latest.add(auc("all", "all", 0.80, 0.05, 1_000, 100));
        latest.add(s("all", "all", "prevalence", 0.1, 0.08, 0.12, 1_000));
        for (int j = 0; j < 5; j++) {
            latest.add(auc("site", "S0" + j, j == 3 ? 0.70 : 0.80, 0.3, 200, 20));
            latest.add(s("site", "S0" + j, "prevalence", 0.1, 0.07, 0.15, 200));
        }

        List<MetricSnapshot> out = WorstSlices.compute(latest, 50, Instant.EPOCH);

        MetricSnapshot value = find(out, "worst_slice:auc");
        assertThat(value.sliceValue()).isEqualTo("S03");
        // 20 positives: 19 df; Bonferroni over 5: t at 1 - 0.005 instead of 1 - 0.025.
        TDistribution t = TDistribution.of(19);
        double half = 0.3 * t.inverseSurvivalProbability(0.005);
        assertThat(value.lower()).isCloseTo(expit(logit(0.70) - half), within(1e-9));
        assertThat(value.upper()).isCloseTo(expit(logit(0.70) + half), within(1e-9));

        // Without the prevalence snapshot the normal quantiles' ratio, the large-sample limit: narrower.
        List<MetricSnapshot> noPrevalence =
                latest.stream().filter(x -> !x.metric().equals("prevalence")).toList();
        MetricSnapshot z = find(WorstSlices.compute(noPrevalence, 50, Instant.EPOCH), "worst_slice:auc");
        double zHalf = 0.3 * t.inverseSurvivalProbability(0.025) * 2.5758293035489004 / Z95;
        assertThat(z.lower()).isCloseTo(expit(logit(0.70) - zHalf), within(1e-9));
        assertThat(z.lower()).isGreaterThan(value.lower());
    }

    @Test
    void shouldTakeTheExactPoissonBoundAtTheAdjustedLevelWhenNoOutcomeWasObserved() {
        double e = 4.0;
        List<MetricSnapshot> out = WorstSlices.compute(
                List.of(
                        s("all", "all", "oe_ratio", 1.0, 0.9, 1.1, 1_000),
                        s("site", "S01", "oe_ratio", 0.0, 0.0, -Math.log(0.025) / e, 100),
                        s("site", "S02", "oe_ratio", 1.2, 1.0, 1.44, 100)),
                50,
                Instant.EPOCH);

        MetricSnapshot value = find(out, "worst_slice:oe_ratio");
        assertThat(value.sliceValue()).isEqualTo("S01");
        assertThat(value.lower()).isEqualTo(0.0);
        assertThat(value.upper()).isCloseTo(-Math.log(0.05 / 4) / e, within(1e-12));
    }

    @Test
    void shouldPickHighestEceAndFurthestObservedExpectedRatioWhenLowerOrOneIsBetter() {
        List<MetricSnapshot> latest = List.of(
                s("all", "all", "ece", 0.05, null, null, 1000),
                s("site", "S01", "ece", 0.02, null, null, 500),
                s("site", "S02", "ece", 0.12, null, null, 500),
                s("all", "all", "oe_ratio", 1.0, 0.9, 1.1, 1000),
                s("site", "S01", "oe_ratio", 1.6, 1.3, 1.9, 500),
                s("site", "S02", "oe_ratio", 0.5, 0.4, 0.6, 500));

        List<MetricSnapshot> out = WorstSlices.compute(latest, 50, Instant.EPOCH);

        MetricSnapshot ece = out.stream()
                .filter(x -> x.metric().equals("worst_slice_gap:ece"))
                .findFirst()
                .orElseThrow();
        assertThat(ece.sliceValue()).isEqualTo("S02");
        assertThat(ece.estimate()).isCloseTo(0.07, within(1e-12));
        assertThat(ece.lower()).isNull();
        MetricSnapshot oe = out.stream()
                .filter(x -> x.metric().equals("worst_slice_gap:oe_ratio"))
                .findFirst()
                .orElseThrow();
        // |ln 0.5| = 0.69 > |ln 1.6| = 0.47
        assertThat(oe.sliceValue()).isEqualTo("S02");
        assertThat(oe.estimate()).isCloseTo(-0.5, within(1e-12));
    }

    @Test
    void shouldSkipDimensionWhenAllIsMissing() {
        assertThat(WorstSlices.compute(List.of(s("site", "S01", "auc", 0.7, 0.6, 0.8, 500)), 50, Instant.EPOCH))
                .isEmpty();
    }
}
