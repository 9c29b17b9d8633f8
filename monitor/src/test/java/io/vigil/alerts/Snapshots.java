package io.vigil.alerts;

import io.vigil.events.MetricSnapshot;
import java.time.Instant;

/** Test fixtures: metric snapshots. */
final class Snapshots {
    static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");

    private Snapshots() {}

    static MetricSnapshot of(
            String dim, String value, String metric, Double est, Double lo, Double hi, long n, Double p) {
        return new MetricSnapshot(
                "chest-ct", "2.3.0", dim, value, "7d", T0, metric, est, lo, hi, n, p, MetricSnapshot.Status.FINAL, T0);
    }

    static MetricSnapshot interval(String metric, double est, double lo, double hi, long n) {
        return of("site", "S03", metric, est, lo, hi, n, null);
    }

    static MetricSnapshot pValue(String dim, String value, String metric, double p) {
        return of(dim, value, metric, 0.3, null, null, 500, p);
    }
}
