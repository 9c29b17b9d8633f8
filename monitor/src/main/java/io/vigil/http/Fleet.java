package io.vigil.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import io.vigil.events.Alert;
import io.vigil.events.MetricSnapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The fleet overview: one {@link Row} per model, version and slice, with a status computed from the
 * latest snapshots and the firing alerts, worst first. Pure: no I/O, no clock.
 *
 * <p>Status, worst first: {@code alerting} when a firing alert names the row's model, version and
 * slice; {@code drifting} when the latest snapshot of some window crosses a drift threshold (see
 * {@link #signal}); otherwise {@code ok}. The thresholds are deliberately stricter than a single test
 * at 5%, because every slice and window is tested every snapshot round.
 */
public final class Fleet {
    /** p-value under which a drift test counts as a signal. */
    public static final double P_VALUE_THRESHOLD = 0.001;
    /**
     * Smallest PSI that counts ({@code score_psi}, {@code feature_psi:*}), the conventional "moderate
     * shift" level and the alert rules' effect size: at large n the chi-square p-value of a PSI of a few
     * thousandths (sketch rank error on a discrete feature) is already below the p threshold.
     */
    public static final double MIN_PSI = 0.1;
    /** Fewest cases for a drift test to count. */
    public static final long MIN_N = 100;
    /** The metrics a fleet row carries, in display order. */
    public static final List<String> KEY_METRICS = List.of(
            "predictions",
            "score_mean",
            "score_psi",
            "score_ks",
            "positive_rate",
            "sensitivity",
            "specificity",
            "auc",
            "ece",
            "oe_ratio",
            "label_coverage",
            "flip_rate");
    /** Window preference when a row shows one value per metric; other windows follow in name order. */
    public static final List<String> WINDOW_PREFERENCE = List.of("7d", "30d", "90d", "1d");

    private static final List<String> DIMENSION_ORDER = List.of("all", "site", "scanner", "scanner_model", "software");

    private Fleet() {}

    /** Row status, worst first. */
    public enum Status {
        ALERTING,
        DRIFTING,
        OK;

        @JsonValue
        public String json() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A snapshot crossing its threshold: which metric and window, its value, and why it counts. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Signal(
            String metric,
            String window,
            Double estimate,
            Double threshold,
            @JsonProperty("p_value") Double pValue,
            long n,
            String reason) {}

    /** One model version and slice with its status, signals, firing alerts and key metrics. */
    public record Row(
            String model,
            String version,
            @JsonProperty("slice_dimension") String sliceDimension,
            @JsonProperty("slice_value") String sliceValue,
            Status status,
            List<Signal> signals,
            List<Alert> alerts,
            Map<String, MetricSnapshot> metrics) {

        /** {@code model|version|dimension|value|}, the prefix of every snapshot key of this row. */
        @JsonProperty("key_prefix")
        public String keyPrefix() {
            return String.join("|", model, version, sliceDimension, sliceValue) + "|";
        }
    }

    /** The rows for these snapshots and alerts (only firing alerts count), worst first. */
    public static List<Row> rows(Collection<MetricSnapshot> snapshots, Collection<Alert> alerts) {
        Map<Group, List<MetricSnapshot>> groups = new HashMap<>();
        for (MetricSnapshot s : snapshots) {
            groups.computeIfAbsent(
                            new Group(s.model(), s.version(), s.sliceDimension(), s.sliceValue()),
                            k -> new ArrayList<>())
                    .add(s);
        }
        Map<Group, List<Alert>> firing = new HashMap<>();
        for (Alert a : alerts) {
            if (a.status() == Alert.Status.FIRING) {
                Group g = new Group(a.model().id(), a.model().version(), a.sliceDimension(), a.sliceValue());
                firing.computeIfAbsent(g, k -> new ArrayList<>()).add(a);
                groups.computeIfAbsent(g, k -> new ArrayList<>()); // an alert without snapshots still shows
            }
        }
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<Group, List<MetricSnapshot>> e : groups.entrySet()) {
            Group g = e.getKey();
            List<MetricSnapshot> list = e.getValue();
            list.sort(Comparator.comparing(MetricSnapshot::metric).thenComparing(s -> windowRank(s.window())));
            List<Signal> signals = new ArrayList<>();
            list.forEach(s -> signal(s).ifPresent(signals::add));
            List<Alert> rowAlerts = firing.getOrDefault(e.getKey(), List.of());
            Status status = !rowAlerts.isEmpty() ? Status.ALERTING : !signals.isEmpty() ? Status.DRIFTING : Status.OK;
            rows.add(new Row(
                    g.model(),
                    g.version(),
                    g.dimension(),
                    g.value(),
                    status,
                    List.copyOf(signals),
                    List.copyOf(rowAlerts),
                    keyMetrics(list)));
        }
        rows.sort(WORST_FIRST);
        return rows;
    }

    /** Worst status first, then more signals, then the slice dimension (all, site, scanner, ...), then names. */
    static final Comparator<Row> WORST_FIRST = Comparator.comparing(Row::status)
            .thenComparing(r -> -(r.signals().size() + r.alerts().size()))
            .thenComparing(r -> dimensionRank(r.sliceDimension()))
            .thenComparing(Row::sliceDimension)
            .thenComparing(Row::model)
            .thenComparing(Row::version)
            .thenComparing(Row::sliceValue);

    /**
     * Whether a snapshot crosses its drift threshold: {@code score_psi}, {@code positive_rate},
     * {@code feature_psi:*} and {@code attribute_chi_square:*} when p < {@value #P_VALUE_THRESHOLD}
     * (the PSIs only at {@value #MIN_PSI} or more);
     * {@code score_ks} and {@code feature_ks:*} when the distance exceeds the critical value
     * ({@code upper}) and p, if given, is below {@value #P_VALUE_THRESHOLD}; all of these only with
     * n >= {@value #MIN_N}. {@code cusum_alarm:*} when its estimate is 1.
     */
    public static Optional<Signal> signal(MetricSnapshot s) {
        String family =
                s.metric().contains(":") ? s.metric().substring(0, s.metric().indexOf(':')) : s.metric();
        Double est = s.estimate();
        if (est == null || est.isNaN()) {
            return Optional.empty();
        }
        switch (family) {
            case "score_psi", "positive_rate", "feature_psi", "attribute_chi_square" -> {
                boolean large = !(family.equals("score_psi") || family.equals("feature_psi")) || est >= MIN_PSI;
                if (large && s.n() >= MIN_N && s.pValue() != null && s.pValue() < P_VALUE_THRESHOLD) {
                    return Optional.of(new Signal(
                            s.metric(),
                            s.window(),
                            est,
                            P_VALUE_THRESHOLD,
                            s.pValue(),
                            s.n(),
                            "p < " + P_VALUE_THRESHOLD));
                }
            }
            case "score_ks", "feature_ks" -> {
                if (s.n() >= MIN_N
                        && s.upper() != null
                        && est > s.upper()
                        && (s.pValue() == null || s.pValue() < P_VALUE_THRESHOLD)) {
                    return Optional.of(new Signal(
                            s.metric(),
                            s.window(),
                            est,
                            s.upper(),
                            s.pValue(),
                            s.n(),
                            "distance above critical value"));
                }
            }
            case "cusum_alarm" -> {
                if (est >= 1.0) {
                    return Optional.of(new Signal(s.metric(), s.window(), est, 1.0, null, s.n(), "CUSUM alarm"));
                }
            }
            default -> {}
        }
        return Optional.empty();
    }

    private static Map<String, MetricSnapshot> keyMetrics(List<MetricSnapshot> list) {
        Map<String, MetricSnapshot> out = new LinkedHashMap<>();
        for (String metric : KEY_METRICS) {
            list.stream()
                    .filter(s -> s.metric().equals(metric))
                    .min(Comparator.comparing(s -> windowRank(s.window())))
                    .ifPresent(s -> out.put(metric, s));
        }
        return out;
    }

    /** Sort key of a window: preferred windows first, then the rest by name. */
    static String windowRank(String window) {
        int i = WINDOW_PREFERENCE.indexOf(window);
        return i >= 0 ? "0" + i : "1" + window;
    }

    private static int dimensionRank(String dimension) {
        int i = DIMENSION_ORDER.indexOf(dimension);
        return i >= 0 ? i : DIMENSION_ORDER.size();
    }

    private record Group(String model, String version, String dimension, String value) {}
}
