package io.vigil.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.events.MetricSnapshot;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class DerivedMetricsTest {
    private static final Instant OLDER = Instant.parse("2026-12-01T10:00:00Z");
    private static final Instant NEWER = Instant.parse("2026-12-01T10:05:00Z");

    private static MetricSnapshot s(String value, double est, long n, Instant computedAt) {
        return new MetricSnapshot(
                "m",
                "v",
                value.equals("all") ? "all" : "scanner",
                value,
                "7d",
                Instant.parse("2026-12-01T00:00:00Z"),
                "sensitivity",
                est,
                est - 0.05,
                est + 0.05,
                n,
                null,
                MetricSnapshot.Status.FINAL,
                computedAt);
    }

    @Test
    void shouldStampDerivedSnapshotsWithTheNewestInputSoTwoReadsOfUnchangedInputsAreEqual() {
        List<MetricSnapshot> latest =
                List.of(s("all", 0.80, 1000, OLDER), s("S01/A", 0.85, 200, OLDER), s("S02/B", 0.60, 150, NEWER));

        List<MetricSnapshot> first = DerivedMetrics.withDerived(latest, 50);
        List<MetricSnapshot> second = DerivedMetrics.withDerived(latest, 50);

        List<MetricSnapshot> derived = first.subList(latest.size(), first.size());
        assertThat(derived).isNotEmpty().extracting(MetricSnapshot::metric).contains("worst_slice_gap:sensitivity");
        assertThat(derived).allSatisfy(d -> assertThat(d.computedAt()).isEqualTo(NEWER));
        assertThat(second).isEqualTo(first);
    }

    @Test
    void shouldMoveTheStampWhenAnInputIsNewer() {
        Instant later = NEWER.plusSeconds(60);
        List<MetricSnapshot> derived = DerivedMetrics.withDerived(
                        List.of(
                                s("all", 0.80, 1000, OLDER),
                                s("S01/A", 0.85, 200, OLDER),
                                s("S02/B", 0.55, 160, later)),
                        50)
                .subList(3, 6);

        assertThat(derived).allSatisfy(d -> assertThat(d.computedAt()).isEqualTo(later));
    }
}
