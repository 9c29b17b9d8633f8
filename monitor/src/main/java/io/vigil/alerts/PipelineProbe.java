package io.vigil.alerts;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vigil.events.MetricSnapshot;
import io.vigil.stats.Estimate;
import io.vigil.stats.Wilson;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The pipeline's own health as metric snapshots of model {@value #MODEL}, version {@value #VERSION},
 * so the shipped pipeline rules run through the same evaluator: {@code pipeline_dead_letter_share}
 * per input stream (slice {@code stream}; dead-lettered over received since the previous round, with
 * its Wilson interval and n), {@code pipeline_consumer_lag} (largest records-lag-max of this instance's
 * consumers; {@code upper} = {@value #LAG_THRESHOLD} records) and {@code pipeline_not_running} (1 while
 * this instance's Kafka Streams state is not RUNNING). Read on the evaluating instance only; it does
 * not see other instances (their own {@code /metrics} and the Prometheus rules do).
 */
public final class PipelineProbe implements Supplier<List<MetricSnapshot>> {
    public static final String MODEL = "vigil";
    public static final String VERSION = "pipeline";
    public static final double LAG_THRESHOLD = 100_000;

    private final MeterRegistry registry;
    private final Supplier<KafkaStreams.State> state;
    private final DoubleSupplier consumerLag;
    private final Clock clock;
    private final Map<String, double[]> previous = new HashMap<>();

    public PipelineProbe(
            MeterRegistry registry, Supplier<KafkaStreams.State> state, DoubleSupplier consumerLag, Clock clock) {
        this.registry = registry;
        this.state = state;
        this.consumerLag = consumerLag;
        this.clock = clock;
    }

    @Override
    public synchronized List<MetricSnapshot> get() {
        Instant now = clock.instant();
        List<MetricSnapshot> out = new ArrayList<>();
        Map<String, double[]> totals = new TreeMap<>();
        for (FunctionCounter c : registry.find("vigil.ingest.records").functionCounters()) {
            double[] t = totals.computeIfAbsent(c.getId().getTag("stream"), k -> new double[2]);
            t[0] += c.count();
            if ("dead_lettered".equals(c.getId().getTag("outcome"))) {
                t[1] += c.count();
            }
        }
        totals.forEach((stream, t) -> {
            double[] before = previous.getOrDefault(stream, new double[2]);
            long n = Math.max(0, Math.round(t[0] - before[0]));
            long dead = Math.max(0, Math.min(n, Math.round(t[1] - before[1])));
            previous.put(stream, t.clone());
            if (n > 0 && stream != null) {
                Estimate e = Wilson.interval(dead, n);
                out.add(snapshot(
                        "stream", stream, "pipeline_dead_letter_share", e.value(), e.lower(), e.upper(), n, now));
            }
        });
        double lag = consumerLag.getAsDouble();
        if (!Double.isNaN(lag)) {
            out.add(snapshot("all", "all", "pipeline_consumer_lag", lag, null, LAG_THRESHOLD, 1, now));
        }
        out.add(snapshot(
                "all",
                "all",
                "pipeline_not_running",
                state.get() == KafkaStreams.State.RUNNING ? 0.0 : 1.0,
                null,
                null,
                1,
                now));
        return out;
    }

    private static MetricSnapshot snapshot(
            String dim, String value, String metric, double estimate, Double lower, Double upper, long n, Instant now) {
        return new MetricSnapshot(
                MODEL,
                VERSION,
                dim,
                value,
                "interval",
                now,
                metric,
                estimate,
                lower,
                upper,
                n,
                null,
                MetricSnapshot.Status.FINAL,
                now);
    }

    /** Largest {@code records-lag-max} among a Streams client's consumers, or NaN when unknown. */
    public static double maxRecordsLag(KafkaStreams streams) {
        double max = Double.NaN;
        for (var e : streams.metrics().entrySet()) {
            if ("records-lag-max".equals(e.getKey().name())
                    && "consumer-fetch-manager-metrics".equals(e.getKey().group())) {
                Object v = e.getValue().metricValue();
                if (v instanceof Number num && !Double.isNaN(num.doubleValue())) {
                    max = Double.isNaN(max) ? num.doubleValue() : Math.max(max, num.doubleValue());
                }
            }
        }
        return max;
    }
}
