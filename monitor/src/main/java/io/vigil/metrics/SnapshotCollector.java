package io.vigil.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.vigil.events.MetricSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The one exporter of model metrics: reads the latest {@link MetricSnapshot}s and serves each as a
 * Prometheus gauge family from {@link MetricCatalog}, labelled {@code model, version, slice,
 * slice_value, window} and {@code bound} ({@code estimate}, {@code lower}, {@code upper}), plus
 * {@code vigil_snapshot_samples} (n), {@code vigil_snapshot_p_value} and
 * {@code vigil_snapshot_final} (1 final, 0 provisional) labelled by {@code metric}. A snapshot below
 * its minimum n ({@link MetricSnapshot.Status#INSUFFICIENT_N}) has no value series (it vanishes rather
 * than showing a number nobody should act on); it shows as {@code vigil_snapshot_insufficient_n} 1 and
 * its {@code vigil_snapshot_samples}, labelled by {@code metric}. Metrics not in
 * the catalog are skipped, so no unreviewed name or label reaches Prometheus. Which of these series are exported
 * is {@link PrometheusExport}'s choice (the series budget).
 */
public final class SnapshotCollector implements MultiCollector {
    private final Supplier<? extends Iterable<MetricSnapshot>> snapshots;
    private final PrometheusExport export;

    /** Exports every series ({@link PrometheusExport#EVERYTHING}). */
    public SnapshotCollector(Supplier<? extends Iterable<MetricSnapshot>> snapshots) {
        this(snapshots, PrometheusExport.EVERYTHING);
    }

    public SnapshotCollector(Supplier<? extends Iterable<MetricSnapshot>> snapshots, PrometheusExport export) {
        this.snapshots = snapshots;
        this.export = export;
    }

    @Override
    public MetricSnapshots collect() {
        Map<String, GaugeSnapshot.Builder> gauges = new LinkedHashMap<>();
        GaugeSnapshot.Builder samples = GaugeSnapshot.builder()
                .name("vigil_snapshot_samples")
                .help("Number of cases behind each metric snapshot");
        GaugeSnapshot.Builder pValues = GaugeSnapshot.builder()
                .name("vigil_snapshot_p_value")
                .help("p-value of the snapshot's test against the reference");
        GaugeSnapshot.Builder finals = GaugeSnapshot.builder()
                .name("vigil_snapshot_final")
                .help("1 when the snapshot is final (labels matured), 0 while provisional");
        GaugeSnapshot.Builder insufficient = GaugeSnapshot.builder()
                .name("vigil_snapshot_insufficient_n")
                .help("1 when the metric's n (vigil_snapshot_samples) is below its minimum; the metric has no value");
        boolean anySamples = false;
        boolean anyFinal = false;
        boolean anyP = false;
        boolean anyInsufficient = false;
        for (MetricSnapshot s : snapshots.get()) {
            var family = MetricCatalog.family(s.metric());
            if (family.isPresent() && !export.exportsValue(family.get(), s)) {
                continue;
            }
            if (family.isPresent() && s.insufficientN()) {
                if (!export.exportsSamples(family.get(), s)) {
                    continue;
                }
                anyInsufficient = true;
                anySamples = true;
                Labels byMetric = byMetric(s);
                insufficient.dataPoint(point(byMetric, 1));
                samples.dataPoint(point(byMetric, s.n()));
                continue;
            }
            if (family.isEmpty() || s.estimate() == null || s.estimate().isNaN()) {
                continue;
            }
            MetricCatalog.Family f = family.get();
            String param = MetricCatalog.param(s.metric());
            Labels base = Labels.of(
                    "model",
                    safe(s.model()),
                    "version",
                    safe(s.version()),
                    "slice",
                    safe(s.sliceDimension()),
                    "slice_value",
                    safe(s.sliceValue()),
                    "window",
                    safe(s.window()));
            if (f.paramLabel() != null) {
                base = base.add(f.paramLabel(), param == null ? "" : param);
            }
            GaugeSnapshot.Builder g = gauges.computeIfAbsent(
                    f.prometheusName(), n -> GaugeSnapshot.builder().name(n).help(f.help()));
            g.dataPoint(point(base.add("bound", "estimate"), s.estimate()));
            if (s.lower() != null && !s.lower().isNaN()) {
                g.dataPoint(point(base.add("bound", "lower"), s.lower()));
            }
            if (s.upper() != null && !s.upper().isNaN()) {
                g.dataPoint(point(base.add("bound", "upper"), s.upper()));
            }
            Labels byMetric = byMetric(s);
            if (export.exportsFinal(f, s)) {
                anyFinal = true;
                finals.dataPoint(point(byMetric, s.status() == MetricSnapshot.Status.FINAL ? 1 : 0));
            }
            if (export.exportsSamples(f, s)) {
                anySamples = true;
                samples.dataPoint(point(byMetric, s.n()));
            }
            if (export.exportsPValue(f, s) && s.pValue() != null && !s.pValue().isNaN()) {
                anyP = true;
                pValues.dataPoint(point(byMetric, s.pValue()));
            }
        }
        List<io.prometheus.metrics.model.snapshots.MetricSnapshot> out = new ArrayList<>();
        gauges.values().forEach(b -> out.add(b.build()));
        if (anySamples) {
            out.add(samples.build());
        }
        if (anyFinal) {
            out.add(finals.build());
        }
        if (anyInsufficient) {
            out.add(insufficient.build());
        }
        if (anyP) {
            out.add(pValues.build());
        }
        return new MetricSnapshots(out);
    }

    private static Labels byMetric(MetricSnapshot s) {
        return Labels.of(
                "model",
                safe(s.model()),
                "version",
                safe(s.version()),
                "slice",
                safe(s.sliceDimension()),
                "slice_value",
                safe(s.sliceValue()),
                "window",
                safe(s.window()),
                "metric",
                safe(s.metric()));
    }

    /** Label values from the snapshots topic, which any writer can reach: made safe again here. */
    private static String safe(String value) {
        return value == null ? "" : io.vigil.events.SafeText.of(value);
    }

    private static GaugeDataPointSnapshot point(Labels labels, double value) {
        return GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
    }
}
