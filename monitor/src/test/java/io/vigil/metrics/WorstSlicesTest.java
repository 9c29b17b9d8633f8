package io.vigil.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.vigil.events.MetricSnapshot;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorstSlicesTest {
    private static MetricSnapshot s(String dim, String value, String metric, double est, Double lo, Double hi, long n) {
        return new MetricSnapshot("m", "v", dim, value, "7d", Instant.EPOCH, metric, est, lo, hi, n, null,
                MetricSnapshot.Status.FINAL, Instant.EPOCH);
    }

    @Test
    void shouldPickLowestSensitivityAmongSlicesWithEnoughCasesWhenHigherIsBetter() {
        List<MetricSnapshot> latest = List.of(
                s("all", "all", "sensitivity", 0.80, 0.78, 0.82, 1000),
                s("scanner", "S01/A", "sensitivity", 0.85, 0.80, 0.90, 200),
                s("scanner", "S02/B", "sensitivity", 0.60, 0.50, 0.70, 100),
                s("scanner", "S03/C", "sensitivity", 0.10, 0.00, 0.50, 5));

        List<MetricSnapshot> out = WorstSlices.compute(latest, 50, Instant.EPOCH);

        assertThat(out).hasSize(1);
        MetricSnapshot w = out.get(0);
        assertThat(w.metric()).isEqualTo("worst_slice_gap:sensitivity");
        assertThat(w.sliceDimension()).isEqualTo("scanner");
        assertThat(w.sliceValue()).isEqualTo("S02/B");
        assertThat(w.estimate()).isCloseTo(-0.20, within(1e-12));
        double se1 = 0.10 / 1.959963984540054;
        double se2 = 0.02 / 1.959963984540054;
        double half = 1.959963984540054 * Math.sqrt(se1 * se1 + se2 * se2);
        assertThat(w.lower()).isCloseTo(-0.20 - half, within(1e-12));
        assertThat(w.upper()).isCloseTo(-0.20 + half, within(1e-12));
        assertThat(w.n()).isEqualTo(100);
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

        MetricSnapshot ece = out.stream().filter(x -> x.metric().equals("worst_slice_gap:ece")).findFirst().orElseThrow();
        assertThat(ece.sliceValue()).isEqualTo("S02");
        assertThat(ece.estimate()).isCloseTo(0.07, within(1e-12));
        assertThat(ece.lower()).isNull();
        MetricSnapshot oe = out.stream().filter(x -> x.metric().equals("worst_slice_gap:oe_ratio")).findFirst().orElseThrow();
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
