package io.vigil.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The arithmetic of {@code vigil bench --latency-labels}: reading the labelled count of the
 * {@code all} slice from a {@code /metrics} page, and turning send times and polled values into one
 * latency per label. Pure; times are {@link System#nanoTime()} values.
 */
final class LabelLatency {
    /** The gauge whose {@code all}-slice value grows by one per newly labelled prediction. */
    static final String LABELLED = "vigil_window_labelled";

    /** The gauge whose {@code all}-slice value grows by one per prediction the drift stage counted. */
    static final String PREDICTIONS = "vigil_window_predictions";

    private LabelLatency() {}

    /** One poll of {@code /metrics}: when its answer arrived and the count it showed (-1: none). */
    record Observation(long atNanos, long count) {}

    /**
     * The sum over model versions of {@code vigil_window_labelled{slice="all",slice_value="all",
     * window=W,bound="estimate"}} in a Prometheus text page, or -1 when the page has no such series
     * (no performance snapshot yet).
     */
    static long labelledAll(String metricsPage, String window) {
        return labelledAll(metricsPage, window, null);
    }

    /**
     * The same for one model's versions only ({@code model} null: every model): the bench counts the model it
     * replayed, so that another model's labels on the same monitor do not count as the measured labels.
     */
    static long labelledAll(String metricsPage, String window, String model) {
        return countAll(metricsPage, LABELLED, window, model);
    }

    /** The same for any count gauge of the snapshots, e.g. {@link #PREDICTIONS}. */
    static long countAll(String metricsPage, String metric, String window, String model) {
        long sum = 0;
        boolean any = false;
        for (MetricsPage.Sample sample : MetricsPage.samples(metricsPage, metric)) {
            Map<String, String> labels = sample.labels();
            if ((model == null || model.equals(labels.get("model")))
                    && "all".equals(labels.get("slice"))
                    && "all".equals(labels.get("slice_value"))
                    && window.equals(labels.get("window"))
                    && "estimate".equals(labels.get("bound"))) {
                sum += Math.round(sample.value());
                any = true;
            }
        }
        return any ? sum : -1;
    }

    /**
     * Latency of each record in nanoseconds: record {@code i} (0-based) has been processed end to end
     * at the first observation after its send time that shows at least {@code baseline + i + 1};
     * -1 when no observation does.
     *
     * @param sentNanos    send time of each label, ascending
     * @param observations polls in time order
     */
    static long[] latencies(long[] sentNanos, long baseline, List<Observation> observations) {
        long[] out = new long[sentNanos.length];
        for (int i = 0; i < sentNanos.length; i++) {
            out[i] = -1;
            for (Observation o : observations) {
                if (o.atNanos() >= sentNanos[i] && o.count() >= baseline + i + 1) {
                    out[i] = o.atNanos() - sentNanos[i];
                    break;
                }
            }
        }
        return out;
    }

    /** Nearest-rank percentile ({@code p} in (0, 100]) of the non-negative values; -1 when there are none. */
    static long percentile(long[] values, double p) {
        long[] seen = Arrays.stream(values).filter(v -> v >= 0).sorted().toArray();
        if (seen.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(p / 100.0 * seen.length);
        return seen[Math.max(0, Math.min(seen.length, rank) - 1)];
    }
}
