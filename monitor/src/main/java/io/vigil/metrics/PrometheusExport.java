package io.vigil.metrics;

import io.vigil.config.VigilConfig;
import io.vigil.events.MetricSnapshot;
import java.util.Collection;
import java.util.Set;

/**
 * Which snapshot series {@link SnapshotCollector} puts on {@code /metrics}: the series budget of issue 17 (at most
 * 200 series per slice at the default configuration, {@code SeriesPerSliceTest}).
 *
 * <p>With {@code detail} on, everything. Off (the default):
 *
 * <ul>
 *   <li>only decision families ({@link MetricCatalog.Family#detail()} false);
 *   <li>only the rolling windows in {@code windows} (default 7d and 30d, what the shipped rules read); a CUSUM
 *       family is exported whatever its window ({@link MetricCatalog.Family#windowed()} false);
 *   <li>{@code estimation_error:X} only while {@code estimated_X} is a decision family;
 *   <li>{@code vigil_snapshot_samples} (and {@code vigil_snapshot_insufficient_n}) only for metrics a configured
 *       alert rule gates on n ({@code nMetrics}: a rule's {@code metric}, {@code family:*} for every parameter), and
 *       {@code vigil_snapshot_p_value} only for those it gates on p ({@code pMetrics}), as the Prometheus rules
 *       read them;
 *   <li>{@code vigil_snapshot_final} only for {@code labelled}: every outcome metric of a window shares that
 *       window's status.
 * </ul>
 *
 * Nothing is lost: the status API and the snapshots topic carry every snapshot either way.
 *
 * @param detail       export every series
 * @param windows      rolling windows exported while detail is off
 * @param nMetrics  metrics of rules with a minimum n ({@code name}, {@code family:*} or {@code family:param}):
 *                  their n is exported while detail is off
 * @param pMetrics  metrics of rules with a p-value ceiling: their p-value is exported while detail is off
 */
public record PrometheusExport(boolean detail, Set<String> windows, Set<String> nMetrics, Set<String> pMetrics) {
    /** Every series, as before the budget. */
    public static final PrometheusExport EVERYTHING = new PrometheusExport(true, Set.of(), Set.of(), Set.of());

    public PrometheusExport {
        windows = Set.copyOf(windows);
        nMetrics = Set.copyOf(nMetrics);
        pMetrics = Set.copyOf(pMetrics);
    }

    /**
     * The policy of {@code metrics.detail} and {@code metrics.windows} for the configured rules: the metrics of
     * those with a minimum n ({@code nMetrics}) and with a p-value ceiling ({@code pMetrics}). What
     * {@code vigil run} exports.
     */
    public static PrometheusExport from(VigilConfig config, Collection<String> nMetrics, Collection<String> pMetrics) {
        if (config.getBoolean(VigilConfig.METRICS_DETAIL)) {
            return EVERYTHING;
        }
        return new PrometheusExport(
                false,
                Set.copyOf(config.getList(VigilConfig.METRICS_WINDOWS).stream()
                        .map(String::strip)
                        .toList()),
                Set.copyOf(nMetrics),
                Set.copyOf(pMetrics));
    }

    /** Whether the snapshot's value series (with its bounds) are exported. */
    boolean exportsValue(MetricCatalog.Family family, MetricSnapshot s) {
        if (detail) {
            return true;
        }
        if (family.detail() || (family.windowed() && !windows.contains(s.window()))) {
            return false;
        }
        if (family.name().equals("estimation_error")) {
            String param = MetricCatalog.param(s.metric());
            return param != null
                    && MetricCatalog.family("estimated_" + param)
                            .filter(e -> !e.detail())
                            .isPresent();
        }
        return true;
    }

    /** Whether its {@code vigil_snapshot_samples} (and insufficient-n flag) are. */
    boolean exportsSamples(MetricCatalog.Family family, MetricSnapshot s) {
        return detail || (exportsValue(family, s) && matches(nMetrics, s.metric()));
    }

    /** Whether its {@code vigil_snapshot_p_value} is. */
    boolean exportsPValue(MetricCatalog.Family family, MetricSnapshot s) {
        return detail || (exportsValue(family, s) && matches(pMetrics, s.metric()));
    }

    /** Whether its {@code vigil_snapshot_final} is. */
    boolean exportsFinal(MetricCatalog.Family family, MetricSnapshot s) {
        return detail || (exportsValue(family, s) && s.metric().equals("labelled"));
    }

    private static boolean matches(Set<String> ruleMetrics, String metric) {
        if (ruleMetrics.contains(metric)) {
            return true;
        }
        int colon = metric.indexOf(':');
        return colon > 0 && ruleMetrics.contains(metric.substring(0, colon) + ":*");
    }
}
