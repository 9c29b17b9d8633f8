package io.vigil.stages.shared;

import io.vigil.events.MetricSnapshot;
import io.vigil.stats.ChangeDetection;
import io.vigil.stats.Estimate;
import java.time.Instant;
import java.util.List;

/**
 * Builds the snapshots of one group ({@code model|version|dimension|value}) and window for the
 * early-warning stages; drops undefined values rather than writing NaN, and never writes a bound
 * that is not finite.
 */
public final class SnapshotBuilder {
    private final String[] group;
    private final String window;
    private final Instant windowEnd;
    private final Instant computedAt;
    private final List<MetricSnapshot> out;

    public SnapshotBuilder(
            String[] group, String window, Instant windowEnd, Instant computedAt, List<MetricSnapshot> out) {
        this.group = group;
        this.window = window;
        this.windowEnd = windowEnd;
        this.computedAt = computedAt;
        this.out = out;
    }

    public void emit(String metric, double estimate, Double lower, Double upper, long n, Double pValue) {
        if (!Double.isFinite(estimate)) {
            return;
        }
        out.add(new MetricSnapshot(
                group[0],
                group[1],
                group[2],
                group[3],
                window,
                windowEnd,
                metric,
                estimate,
                finite(lower),
                finite(upper),
                n,
                finite(pValue),
                MetricSnapshot.Status.FINAL,
                computedAt));
    }

    /** An estimate with its interval; nothing when empty. */
    public void estimate(String metric, Estimate e, Double pValue) {
        if (e.isEmpty()) {
            return;
        }
        boolean point = e.lower() == e.value() && e.upper() == e.value();
        emit(metric, e.value(), point ? null : e.lower(), point ? null : e.upper(), e.n(), pValue);
    }

    /**
     * The snapshots of one CUSUM path: {@code cusum:s} (estimate = statistic, upper = h, n = days in
     * the series), {@code cusum_alarm:s} (1 in alarm, else 0) and {@code cusum_change_start:s} (start
     * of the estimated first changed UTC day, epoch seconds; no estimate when not in alarm, so the
     * compacted topic does not keep a stale change time).
     *
     * @param days the epoch day of each step of the path
     */
    public void cusum(String series, ChangeDetection.Path path, long[] days) {
        if (path.steps() == 0) {
            return;
        }
        emit("cusum:" + series, path.statistic(), null, path.threshold(), path.steps(), null);
        emit("cusum_alarm:" + series, path.alarm() ? 1 : 0, null, null, path.steps(), null);
        Double start = path.alarm() ? (double) (days[path.changeIndex()] * EventDay.SECONDS_PER_DAY) : null;
        out.add(new MetricSnapshot(
                group[0],
                group[1],
                group[2],
                group[3],
                window,
                windowEnd,
                "cusum_change_start:" + series,
                start,
                null,
                null,
                path.steps(),
                null,
                MetricSnapshot.Status.FINAL,
                computedAt));
    }

    private static Double finite(Double v) {
        return v == null || !Double.isFinite(v) ? null : v;
    }
}
