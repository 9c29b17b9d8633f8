package io.vigil.app;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The arithmetic of {@code vigil bench --latency-labels}: reading the labelled count of the
 * {@code all} slice from a {@code /metrics} page, and turning send times and polled values into one
 * latency per label. Pure; times are {@link System#nanoTime()} values.
 */
final class LabelLatency {
    /** The gauge whose {@code all}-slice value grows by one per newly labelled prediction. */
    static final String LABELLED = "vigil_window_labelled";

    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private LabelLatency() {}

    /** One poll of {@code /metrics}: when its answer arrived and the labelled total it showed. */
    record Observation(long atNanos, long labelled) {}

    /**
     * The sum over model versions of {@code vigil_window_labelled{slice="all",slice_value="all",
     * window=W,bound="estimate"}} in a Prometheus text page, or -1 when the page has no such series
     * (no performance snapshot yet).
     */
    static long labelledAll(String metricsPage, String window) {
        long sum = 0;
        boolean any = false;
        for (String line : metricsPage.split("\n")) {
            if (!line.startsWith(LABELLED + "{")) {
                continue;
            }
            int close = line.lastIndexOf('}');
            Map<String, String> labels = new java.util.HashMap<>();
            Matcher m = LABEL.matcher(line.substring(LABELLED.length() + 1, close));
            while (m.find()) {
                labels.put(m.group(1), m.group(2));
            }
            if ("all".equals(labels.get("slice")) && "all".equals(labels.get("slice_value"))
                    && window.equals(labels.get("window")) && "estimate".equals(labels.get("bound"))) {
                String value = line.substring(close + 1).strip().split(" ")[0];
                sum += Math.round(Double.parseDouble(value));
                any = true;
            }
        }
        return any ? sum : -1;
    }

    /**
     * Latency of each label in nanoseconds: label {@code i} (0-based) has been processed end to end
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
                if (o.atNanos() >= sentNanos[i] && o.labelled() >= baseline + i + 1) {
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
