package io.vigil.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.vigil.events.MetricSnapshot;
import io.vigil.stats.Estimate;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The backtest over constructed snapshots; expected values computed by hand from the formulas. */
class EstimatorBacktestTest {
    private static final Instant END = Instant.parse("2026-02-01T00:00:00Z");
    private static final Instant AT = Instant.parse("2026-03-01T00:00:00Z");
    private static final double Z = Estimate.Z95;

    private static MetricSnapshot snap(
            String metric,
            String window,
            Instant end,
            Double estimate,
            Double lower,
            Double upper,
            long n,
            MetricSnapshot.Status status) {
        return new MetricSnapshot(
                "m", "1", "site", "S01", window, end, metric, estimate, lower, upper, n, null, status, AT);
    }

    @Test
    void shouldEmitErrorWithCombinedIntervalAndPValueWhenRealisedIsFinal() {
        MetricSnapshot estimated = snap(
                "estimated_sensitivity",
                "30d",
                END,
                0.80,
                0.80 - Z * 0.03,
                0.80 + Z * 0.03,
                1000,
                MetricSnapshot.Status.FINAL);
        MetricSnapshot realised = snap(
                "sensitivity", "30d", END, 0.70, 0.70 - Z * 0.04, 0.70 + Z * 0.04, 250, MetricSnapshot.Status.FINAL);
        List<MetricSnapshot> out = EstimatorBacktest.errors(List.of(estimated, realised), AT);
        assertThat(out).hasSize(1);
        MetricSnapshot e = out.get(0);
        assertThat(e.metric()).isEqualTo("estimation_error:sensitivity");
        assertThat(e.estimate()).isCloseTo(-0.10, within(1e-12));
        // se = sqrt(0.03² + 0.04²) = 0.05; z = 2; p = 2(1 - Phi(2)) = 0.0455003.
        assertThat(e.lower()).isCloseTo(-0.10 - Z * 0.05, within(1e-12));
        assertThat(e.upper()).isCloseTo(-0.10 + Z * 0.05, within(1e-12));
        assertThat(e.pValue()).isCloseTo(0.04550026389635842, within(1e-9));
        assertThat(e.n()).isEqualTo(250);
        assertThat(e.window()).isEqualTo("30d");
        assertThat(e.windowEnd()).isEqualTo(END);
        assertThat(e.sliceValue()).isEqualTo("S01");
        assertThat(e.status()).isEqualTo(MetricSnapshot.Status.FINAL);
        assertThat(e.computedAt()).isEqualTo(AT);
    }

    @Test
    void shouldSkipWhenRealisedIsProvisionalOrCohortsDifferOrEstimateIsMissing() {
        MetricSnapshot estimated =
                snap("estimated_specificity", "7d", END, 0.9, 0.88, 0.92, 500, MetricSnapshot.Status.FINAL);
        MetricSnapshot provisional =
                snap("specificity", "7d", END, 0.8, 0.7, 0.9, 100, MetricSnapshot.Status.PROVISIONAL);
        MetricSnapshot otherEnd =
                snap("specificity", "7d", END.plusSeconds(86_400), 0.8, 0.7, 0.9, 100, MetricSnapshot.Status.FINAL);
        MetricSnapshot otherWindow = snap("specificity", "30d", END, 0.8, 0.7, 0.9, 100, MetricSnapshot.Status.FINAL);
        MetricSnapshot noEstimateYet = snap("ppv", "7d", END, 0.5, 0.4, 0.6, 100, MetricSnapshot.Status.FINAL);
        assertThat(EstimatorBacktest.errors(List.of(estimated, provisional), AT))
                .isEmpty();
        assertThat(EstimatorBacktest.errors(List.of(estimated, otherEnd), AT)).isEmpty();
        assertThat(EstimatorBacktest.errors(List.of(estimated, otherWindow), AT))
                .isEmpty();
        assertThat(EstimatorBacktest.errors(List.of(estimated, noEstimateYet), AT))
                .isEmpty();
    }

    @Test
    void shouldUseOnlyTheRealisedIntervalWhenTheEstimateHasNone() {
        MetricSnapshot estimated = snap("estimated_auc", "7d", END, 0.85, null, null, 500, MetricSnapshot.Status.FINAL);
        MetricSnapshot realised = snap(
                "auc", "7d", END, 0.85 + 3 * 0.02, 0.91 - Z * 0.02, 0.91 + Z * 0.02, 500, MetricSnapshot.Status.FINAL);
        MetricSnapshot e =
                EstimatorBacktest.errors(List.of(realised, estimated), AT).get(0);
        assertThat(e.metric()).isEqualTo("estimation_error:auc");
        assertThat(e.estimate()).isCloseTo(0.06, within(1e-12));
        // z = 3: p = 0.0026997960632601.
        assertThat(e.pValue()).isCloseTo(0.0026997960632601, within(1e-9));
    }

    @Test
    void shouldPairEveryMetricOfEverySliceSeparately() {
        MetricSnapshot a = snap("estimated_npv", "7d", END, 0.95, 0.94, 0.96, 400, MetricSnapshot.Status.FINAL);
        MetricSnapshot b = snap("npv", "7d", END, 0.95, 0.93, 0.97, 400, MetricSnapshot.Status.FINAL);
        MetricSnapshot other = new MetricSnapshot(
                "m", "1", "site", "S02", "7d", END, "npv", 0.5, 0.4, 0.6, 50, null, MetricSnapshot.Status.FINAL, AT);
        List<MetricSnapshot> out = EstimatorBacktest.errors(List.of(a, b, other), AT);
        assertThat(out).hasSize(1);
        assertThat(out.get(0).estimate()).isEqualTo(0.0);
        assertThat(out.get(0).pValue()).isEqualTo(1.0);
    }
}
