package io.vigil.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vigil.alerts.AlertRule;
import io.vigil.alerts.AlertRules;
import io.vigil.alerts.PipelineProbe;
import io.vigil.metrics.MetricCatalog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

/**
 * One source of truth for alert rules: every rule of Vigil's shipped rule file
 * ({@code monitor/src/main/resources/alert-rules.json}, read with the production parser {@link AlertRules})
 * has a Prometheus alert of the same name in {@code dashboards/prometheus/vigil-rules.yml} that checks the
 * same condition: the same metric (its {@link MetricCatalog} name on {@code /metrics}), the same comparisons
 * on the same interval bounds with the same thresholds, the same minimum n, the same p-value ceiling, the
 * same windows (and, with {@code require_all_windows}, one firing branch per window), the same slice
 * dimensions, the same resolution (a branch joined with {@code ALERTS} holding the rule's hysteresis), the
 * same for-duration and the same severity. The only Prometheus alerts without a Vigil rule are the ones
 * about Vigil itself listed in {@link #PROMETHEUS_ONLY}.
 *
 * <p>How an expression is read: it is split into branches at its top-level {@code or}; a branch that
 * joins {@code ALERTS{alertname="<rule>", alertstate="firing"}} keeps a firing alert firing, the others
 * fire it. In each branch every comparison of a rule series with a number (or, for a critical value, with
 * the {@code upper} bound of the same family, optionally minus a margin) becomes a signature
 * {@code kind@window op value}, where kind is the interval bound ({@code lower}, {@code estimate},
 * {@code upper}), {@code n} ({@code vigil_snapshot_samples}) or {@code p} ({@code vigil_snapshot_p_value})
 * and window the selector's own window matcher ({@code *} when it has none). The signatures expected from
 * the Vigil rule are derived from {@link AlertRule#verdict}'s definitions; both sets must be equal, so a
 * threshold changed in one file only, a dropped minimum n or an extra condition all fail.
 *
 * <p>Vigil's pipeline rules read {@link PipelineProbe}'s snapshots (model {@value PipelineProbe#MODEL}),
 * which {@code /metrics} does not export; their Prometheus alerts read the same sources directly, listed
 * in {@link #PIPELINE_SERIES}.
 */
class PrometheusRulesMatchVigilRulesTest {
    static final Path VIGIL_RULES = DashboardsTest.REPO.resolve("monitor/src/main/resources/alert-rules.json");

    /** Prometheus alerts about Vigil itself that have, and need, no rule in alert-rules.json: why each. */
    static final Map<String, String> PROMETHEUS_ONLY = Map.of(
            "VigilDown", "Prometheus cannot scrape Vigil: Vigil cannot report its own absence",
            "VigilScrapeTargetAbsent", "Prometheus has no Vigil target at all (absent up series)",
            "VigilStreamFailed", "the stream stopped: Vigil's evaluator runs inside that stream",
            "VigilWebhookDisabled", "a receiver answered 410: Vigil's own alerts would go to that receiver",
            "VigilWebhookDropping", "deliveries given up: Vigil's own alerts would go the same way",
            "VigilSliceCapReached", "slices.max-values reached: a capacity signal from a counter, not a snapshot",
            "VigilIncident", "Vigil's incidents (vigil_incidents_active), which group its rules' alerts");

    /**
     * The Prometheus series Vigil's pipeline rules correspond to, by kind (interval bound or n), per
     * pipeline metric: Vigil computes them from the same Micrometer meters and Kafka Streams state.
     */
    static final Map<String, Map<String, String>> PIPELINE_SERIES = Map.of(
            "pipeline_dead_letter_share",
                    Map.of(
                            "vigil:ingest_dead_letter_share:wilson_lower10m", "lower",
                            "vigil:ingest_dead_letter_share:wilson_upper10m", "upper",
                            "vigil:ingest_records:increase10m", "n"),
            "pipeline_consumer_lag", Map.of("kafka_consumer_fetch_manager_records_lag_max", "estimate"),
            "pipeline_not_running", Map.of("kafka_stream_client_state", "estimate"));

    private static final Pattern NUMBER_TEXT = Pattern.compile("-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?");
    private static final String SELECTOR_TEXT = "([a-zA-Z_:][a-zA-Z0-9_:]*)\\{([^}]*)}";
    private static final Pattern SELECTOR = Pattern.compile(SELECTOR_TEXT);
    private static final Pattern MATCHER = Pattern.compile("(\\w+)\\s*(=~|!~|!=|=)\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    /**
     * What may follow a selector to compare it: an optional closing parenthesis (an aggregation of the
     * selector alone), an operator, then a number or {@code ignoring (bound)} the same family's upper bound,
     * optionally minus a number.
     */
    private static final Pattern COMPARISON = Pattern.compile("\\s*\\)?\\s*(==|!=|>=|<=|>|<)\\s*(?:(" + NUMBER_TEXT
            + ")|ignoring\\s*\\(\\s*bound\\s*\\)\\s*(\\(\\s*)?" + SELECTOR_TEXT + "(?:\\s*-\\s*(" + NUMBER_TEXT
            + "))?\\s*\\)?)");

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d|w|y)");

    private static final YAMLMapper YAML = new YAMLMapper();

    // ------------------------------------------------------------------ the two files

    @Test
    void shouldExpressEveryVigilRuleAsAPrometheusAlertWithTheSameConditions() {
        List<AlertRule> vigil = vigilRules();
        assertThat(vigil).hasSizeGreaterThanOrEqualTo(20);
        List<String> problems = problems(vigil, prometheusAlerts(read(DashboardsTest.RULES)));
        assertThat(problems)
                .as("alert-rules.json and vigil-rules.yml disagree:%n  %s", String.join("\n  ", problems))
                .isEmpty();
    }

    @Test
    void shouldReadTheShippedRuleFileThatVigilLoadsByDefault() {
        assertThat(vigilRules()).isEqualTo(AlertRules.defaults());
    }

    @Test
    void shouldHaveAPrometheusAlertWithoutAVigilRuleOnlyForVigilItself() {
        Set<String> vigil = vigilRules().stream().map(AlertRule::name).collect(Collectors.toSet());
        Map<String, Alert> prometheus = prometheusAlerts(read(DashboardsTest.RULES));
        assertThat(PROMETHEUS_ONLY.keySet())
                .as("exempt alerts exist in vigil-rules.yml")
                .allMatch(prometheus::containsKey)
                .as("exempt alerts have no Vigil rule")
                .noneMatch(vigil::contains);
        Set<String> unmatched = new TreeSet<>(prometheus.keySet());
        unmatched.removeAll(vigil);
        assertThat(unmatched).as("Prometheus alerts without a Vigil rule").isEqualTo(PROMETHEUS_ONLY.keySet());
        // Vigil itself: webhook endpoint disabled or dropping, scrape target down or absent, stream not
        // running, consumer lag, dead-letter share, slice overflow.
        assertThat(prometheus.get("VigilScrapeTargetAbsent").expr()).contains("absent(up{job=\"vigil\"})");
        assertThat(prometheus.get("VigilDown").expr()).contains("up{job=\"vigil\"} == 0");
        assertThat(prometheus.get("VigilWebhookDisabled").expr()).contains("vigil_webhook_disabled");
        assertThat(prometheus.get("VigilWebhookDropping").expr()).contains("outcome=\"dropped\"");
        assertThat(prometheus.get("VigilSliceCapReached").expr()).contains("vigil_slice_overflow_total");
        assertThat(prometheus)
                .containsKeys("VigilStreamNotRunning", "VigilConsumerLagHigh", "VigilDeadLetterShareHigh");
    }

    // ------------------------------------------------------------------ the check fails when one file changes

    @Test
    void shouldReportAThresholdChangedInThePrometheusRulesOnly() {
        String yaml = read(DashboardsTest.RULES);
        assertThat(problemsAfter(
                        yaml,
                        "vigil_sensitivity_ratio{bound=\"upper\"} < 0.85",
                        "vigil_sensitivity_ratio{bound=\"upper\"} < 0.86"))
                .anyMatch(p -> p.startsWith("VigilSensitivityBelowTarget") && p.contains("upper@* < 0.85"));
        assertThat(problemsAfter(
                        yaml,
                        "vigil_snapshot_samples{metric=\"ece\"} >= 100",
                        "vigil_snapshot_samples{metric=\"ece\"} >= 50"))
                .anyMatch(p -> p.startsWith("VigilCalibrationErrorHigh") && p.contains("n@* >= 100"));
        assertThat(problemsAfter(
                        yaml,
                        "vigil_snapshot_p_value{metric=\"score_psi\", window=\"30d\"} <= 0.001",
                        "vigil_snapshot_p_value{metric=\"score_psi\", window=\"30d\"} <= 0.01"))
                .anyMatch(p -> p.startsWith("VigilScoreDistributionShift") && p.contains("p@30d <= 0.001"));
        // The resolve branch's margin.
        assertThat(problemsAfter(
                        yaml,
                        "vigil_flip_rate_ratio{bound=\"upper\"} > 0.06",
                        "vigil_flip_rate_ratio{bound=\"upper\"} > 0.05"))
                .anyMatch(p -> p.startsWith("VigilFlipRateHigh") && p.contains("upper@* > 0.06"));
        // A window, a slice dimension, a for-duration, a severity.
        assertThat(problemsAfter(
                        yaml,
                        "vigil_label_coverage_ratio{bound=\"upper\", window=\"30d\"}",
                        "vigil_label_coverage_ratio{bound=\"upper\", window=\"7d\"}"))
                .anyMatch(p -> p.startsWith("VigilLabelCoverageLow"));
        assertThat(problemsAfter(
                        yaml,
                        "vigil_cusum_alarm{bound=\"estimate\", slice=~\"all|site|scanner|scanner_model|software\"}",
                        "vigil_cusum_alarm{bound=\"estimate\"}"))
                .anyMatch(p -> p.startsWith("VigilCusumAlarm") && p.contains("slice"));
        assertThat(problemsAfter(yaml, "        for: 6h\n", "        for: 1h\n"))
                .anyMatch(p -> p.startsWith("VigilVerificationBias") && p.contains("for"));
        assertThat(problemsAfter(
                        yaml,
                        "kafka_consumer_fetch_manager_records_lag_max{job=\"vigil\"}) > 100000",
                        "kafka_consumer_fetch_manager_records_lag_max{job=\"vigil\"}) > 50000"))
                .anyMatch(p -> p.startsWith("VigilConsumerLagHigh") && p.contains("estimate@* > 100000"));
    }

    @Test
    void shouldReportAThresholdChangedInVigilsRuleFileOnly() {
        String json = read(VIGIL_RULES);
        Map<String, Alert> prometheus = prometheusAlerts(read(DashboardsTest.RULES));
        String changed = json.replace("\"target\": 0.85,", "\"target\": 0.9,");
        assertThat(changed).isNotEqualTo(json);
        assertThat(problems(AlertRules.parse(changed), prometheus))
                .anyMatch(p -> p.startsWith("VigilSensitivityBelowTarget") && p.contains("upper@* < 0.9"))
                .anyMatch(p -> p.startsWith("VigilEstimatedSensitivityDrop") && p.contains("upper@* < 0.9"));
        changed = json.replace("\"min_n\": 30,", "\"min_n\": 40,");
        assertThat(changed).isNotEqualTo(json);
        assertThat(problems(AlertRules.parse(changed), prometheus))
                .anyMatch(p -> p.startsWith("VigilFlipRateHigh") && p.contains("n@* >= 40"));
        changed = json.replace("\"resolve_p\": 0.2,", "\"resolve_p\": 0.1,");
        assertThat(problems(AlertRules.parse(changed), prometheus))
                .anyMatch(p -> p.startsWith("VigilPositiveRateShift") && p.contains("p@30d|7d <= 0.1"));
        changed = json.replace("\"margin\": 0.05,\n      \"min_n\": 200,", "\"margin\": 0.1,\n      \"min_n\": 200,");
        assertThat(changed).isNotEqualTo(json);
        assertThat(problems(AlertRules.parse(changed), prometheus))
                .anyMatch(p -> p.startsWith("VigilCalibrationSlopeOff") && p.contains("lower@* >= 1.2"));
    }

    @Test
    void shouldReadComparisonsBranchesWindowsAndDurations() {
        Alert a = new Alert(
                "X",
                "(max without (bound) (x_ratio{bound=\"upper\", window=~\"30d|7d\"}) < 0.85 and on (m)"
                        + " vigil_snapshot_samples{metric=\"x\"} >= 5e1) or (x_ratio{bound=\"estimate\"} >= ignoring (bound)"
                        + " (x_ratio{bound=\"upper\"} - 0.01) and on (m) ALERTS{alertname=\"X\", alertstate=\"firing\"})",
                "1h30m",
                "warning");
        List<List<Comparison>> branches = branches(a.expr()).stream()
                .map(b -> comparisons(b).stream().filter(c -> c.op() != null).toList())
                .toList();
        assertThat(branches).hasSize(2);
        assertThat(branches.get(0))
                .extracting(Comparison::text)
                .containsExactly(
                        "x_ratio{bound=upper,window=~30d|7d} < 0.85", "vigil_snapshot_samples{metric=x} >= 50");
        assertThat(branches.get(1))
                .extracting(Comparison::text)
                .containsExactly("x_ratio{bound=estimate} >= x_ratio{bound=upper} - 0.01");
        assertThat(millis("1h30m")).isEqualTo(5_400_000L);
        assertThat(millis(null)).isZero();
        assertThat(number(0.85 - 0.05)).isEqualTo("0.8");
        assertThat(KafkaStreams.State.RUNNING.ordinal())
                .as("kafka_stream_client_state of RUNNING")
                .isEqualTo(2);
    }

    // ------------------------------------------------------------------ the comparison

    /** One Prometheus alerting rule. */
    record Alert(String name, String expr, String forDuration, String severity) {}

    /** One label matcher of a selector. */
    record LabelMatcher(String op, String value) {
        @Override
        public String toString() {
            return op + value;
        }
    }

    /** A vector selector: metric name and label matchers. */
    record Selector(String name, Map<String, LabelMatcher> matchers) {
        String text() {
            return name
                    + matchers.entrySet().stream()
                            .map(e -> e.getKey() + e.getValue())
                            .collect(Collectors.joining(",", "{", "}"));
        }

        /** The window the selector reads: its window matcher's values, sorted, or * without one. */
        String window() {
            LabelMatcher m = matchers.get("window");
            if (m == null) {
                return "*";
            }
            return Arrays.stream(m.value().split("\\|")).sorted().collect(Collectors.joining("|"));
        }
    }

    /**
     * A selector, compared (op and a number, or op and the same family's upper bound minus a number) or not
     * (op null: a selector that only provides the value or the set a branch joins on).
     */
    record Comparison(Selector left, String op, String number, Selector right, String minus) {
        String text() {
            if (op == null) {
                return left.text();
            }
            String rhs = right == null
                    ? PrometheusRulesMatchVigilRulesTest.number(Double.parseDouble(number))
                    : right.text()
                            + (minus == null
                                    ? ""
                                    : " - " + PrometheusRulesMatchVigilRulesTest.number(Double.parseDouble(minus)));
            return left.text() + " " + op + " " + rhs;
        }
    }

    static List<AlertRule> vigilRules() {
        return AlertRules.load(VIGIL_RULES.toString());
    }

    /** The alerting rules of a Prometheus rule file, by name. */
    static Map<String, Alert> prometheusAlerts(String yaml) {
        Map<String, Alert> out = new LinkedHashMap<>();
        try {
            for (JsonNode group : YAML.readTree(yaml).path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    if (rule.has("alert")) {
                        String name = rule.path("alert").asText();
                        assertThat(out.put(
                                        name,
                                        new Alert(
                                                name,
                                                rule.path("expr").asText(),
                                                rule.hasNonNull("for")
                                                        ? rule.path("for").asText()
                                                        : null,
                                                rule.path("labels")
                                                        .path("severity")
                                                        .asText(null))))
                                .as("alert %s once", name)
                                .isNull();
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Every disagreement between Vigil's rules and the Prometheus alerts, one line each. */
    static List<String> problems(List<AlertRule> vigil, Map<String, Alert> prometheus) {
        List<String> problems = new ArrayList<>();
        for (AlertRule rule : vigil) {
            Alert alert = prometheus.get(rule.name());
            if (alert == null) {
                problems.add(rule.name() + ": no Prometheus alert of this name");
                continue;
            }
            problems.addAll(compare(rule, alert).stream()
                    .map(p -> rule.name() + ": " + p)
                    .toList());
        }
        return problems;
    }

    private static List<String> compare(AlertRule rule, Alert alert) {
        List<String> problems = new ArrayList<>();
        String severity = rule.severity().name().toLowerCase(Locale.ROOT);
        if (!severity.equals(alert.severity())) {
            problems.add("severity " + alert.severity() + " in Prometheus, " + severity + " in Vigil");
        }
        if (millis(alert.forDuration()) != rule.forMs()) {
            problems.add("for " + alert.forDuration() + " in Prometheus, for_ms " + rule.forMs() + " in Vigil");
        }
        Map<String, String> pipeline = PIPELINE_SERIES.get(rule.metric());
        String family = null;
        if (pipeline == null) {
            String familyName = rule.metric().endsWith(":*")
                    ? rule.metric().substring(0, rule.metric().length() - 2)
                    : rule.metric();
            family = MetricCatalog.family(familyName)
                    .map(MetricCatalog.Family::prometheusName)
                    .orElse(null);
            if (family == null) {
                problems.add("metric " + rule.metric() + " is not exported on /metrics (MetricCatalog)");
                return problems;
            }
        }
        Set<String> fire = new TreeSet<>();
        Set<String> stay = new TreeSet<>();
        boolean valueSeen = false;
        for (String branch : branches(alert.expr())) {
            List<Comparison> comparisons = comparisons(branch);
            boolean resolving = false;
            for (Comparison c : comparisons) {
                if (c.left().name().equals("ALERTS")) {
                    resolving = true;
                    Map<String, LabelMatcher> m = c.left().matchers();
                    if (!String.valueOf(m.get("alertname")).equals("=" + rule.name())
                            || !String.valueOf(m.get("alertstate")).equals("=firing")) {
                        problems.add("joins " + c.left().text() + ", not its own firing alert");
                    }
                }
            }
            for (Comparison c : comparisons) {
                if (c.left().name().equals("ALERTS")) {
                    continue;
                }
                String kind = kind(c.left(), rule, family, pipeline, problems);
                if (kind == null) {
                    continue;
                }
                valueSeen |= Set.of("lower", "estimate", "upper").contains(kind);
                checkSlices(c.left(), kind, rule, pipeline != null, problems);
                if (!allowedWindows(rule).contains(c.left().window())) {
                    problems.add(c.left().text() + " reads window " + c.left().window() + ", Vigil's rule "
                            + rule.windows());
                }
                if (c.op() == null) {
                    continue;
                }
                String value;
                if (c.right() != null) {
                    String rightKind = kind(c.right(), rule, family, pipeline, problems);
                    if (!"upper".equals(rightKind)
                            || !c.right().window().equals(c.left().window())) {
                        problems.add(c.text() + ": compared with something other than its own upper bound");
                    }
                    value = "upper" + (c.minus() == null ? "" : " - " + number(Double.parseDouble(c.minus())));
                } else {
                    value = number(Double.parseDouble(c.number()));
                }
                (resolving ? stay : fire).add(kind + "@" + c.left().window() + " " + c.op() + " " + value);
            }
        }
        if (!valueSeen) {
            problems.add("never reads the metric " + (family != null ? family : pipeline.keySet()) + " itself");
        }
        Set<String> expectedFire = new TreeSet<>();
        Set<String> expectedStay = new TreeSet<>();
        expected(rule, expectedFire, expectedStay, problems);
        if (!fire.equals(expectedFire)) {
            problems.add("fires on " + fire + ", Vigil's rule on " + expectedFire);
        }
        if (!stay.equals(expectedStay)) {
            problems.add("keeps firing (ALERTS branch) on " + stay + ", Vigil's rule until not " + expectedStay);
        }
        return problems;
    }

    /**
     * The comparisons the Prometheus alert must make, from {@link AlertRule#verdict}: {@code fire} those of
     * the firing branches (one set per window under require_all_windows), {@code stay} those that keep a
     * firing alert firing until Vigil's rule clears (the hysteresis margin, resolve_p).
     */
    private static void expected(AlertRule r, Set<String> fire, Set<String> stay, List<String> problems) {
        List<String> fireWindows = r.windows().isEmpty()
                ? List.of("*")
                : r.requireAllWindows()
                        ? r.windows().stream().map(w -> window(List.of(w))).toList()
                        : List.of(window(r.windows()));
        String stayWindow = r.windows().isEmpty() ? "*" : window(r.windows());
        double m = r.margin();
        // Vigil's pipeline rules: the lag threshold is the snapshot's upper, PipelineProbe's constant; "not
        // running" is the stream's state ordinal other than RUNNING.
        String upper = r.metric().equals("pipeline_consumer_lag") ? number(PipelineProbe.LAG_THRESHOLD) : "upper";
        String flag = r.metric().equals("pipeline_not_running") ? "!= " + KafkaStreams.State.RUNNING.ordinal() : "== 1";
        for (String w : fireWindows) {
            switch (r.condition()) {
                case BELOW -> fire.add("upper@" + w + " < " + number(r.target()));
                case ABOVE -> fire.add("lower@" + w + " > " + number(r.target()));
                case OUTSIDE -> {
                    fire.add("lower@" + w + " > " + number(r.high()));
                    fire.add("upper@" + w + " < " + number(r.low()));
                }
                case ABOVE_THRESHOLD -> fire.add("estimate@" + w + " > " + upper);
                case P_BELOW -> {
                    if (r.maxP() == null) {
                        problems.add("p_below without max_p: Prometheus has no Benjamini-Hochberg, only a p ceiling");
                    } else {
                        fire.add("p@" + w + " <= " + number(r.maxP()));
                    }
                    if (r.minEstimate() != null) {
                        fire.add("estimate@" + w + " >= " + number(r.minEstimate()));
                    }
                    if (r.requireAboveUpper()) {
                        fire.add("estimate@" + w + " > upper");
                    }
                }
                case FLAG -> fire.add("estimate@" + w + " " + flag);
            }
            if (r.minN() > 0) {
                fire.add("n@" + w + " >= " + number(r.minN()));
            }
        }
        String w = stayWindow;
        switch (r.condition()) {
            case BELOW -> stay.add("lower@" + w + " < " + number(r.target() - m));
            case ABOVE -> stay.add("upper@" + w + " > " + number(r.target() + m));
            case OUTSIDE -> {
                stay.add("lower@" + w + " >= " + number(r.high() - m));
                stay.add("upper@" + w + " <= " + number(r.low() + m));
            }
            case ABOVE_THRESHOLD -> {
                if (m > 0) {
                    stay.add("estimate@" + w + " >= " + upper + " - " + number(m));
                }
            }
            case P_BELOW -> {
                stay.add("p@" + w + " <= " + number(r.resolveP()));
                if (r.minEstimate() != null) {
                    stay.add("estimate@" + w + " >= " + number(r.minEstimate() - m));
                }
                if (r.requireAboveUpper()) {
                    stay.add("estimate@" + w + " >= upper - " + number(m));
                }
            }
            case FLAG -> {}
        }
    }

    /** What a selector is to the rule: an interval bound, n, p; null (and a problem) when it is none of them. */
    private static String kind(
            Selector s, AlertRule rule, String family, Map<String, String> pipeline, List<String> problems) {
        if (pipeline != null) {
            String kind = pipeline.get(s.name());
            if (kind == null) {
                problems.add(s.text() + " is none of the series of " + rule.metric() + ": " + pipeline.keySet());
            }
            return kind;
        }
        if (s.name().equals(family)) {
            LabelMatcher bound = s.matchers().get("bound");
            if (bound == null || !bound.op().equals("=")) {
                problems.add(s.text() + " reads no single interval bound");
                return null;
            }
            return bound.value();
        }
        String kind = switch (s.name()) {
            case "vigil_snapshot_samples" -> "n";
            case "vigil_snapshot_p_value" -> "p";
            default -> null;
        };
        if (kind == null) {
            problems.add(s.text() + " is not a series of " + rule.metric() + " (" + family + ")");
            return null;
        }
        String expected = rule.metric().endsWith(":*")
                ? "=~" + rule.metric().substring(0, rule.metric().length() - 1) + ".+"
                : "=" + rule.metric();
        if (!String.valueOf(s.matchers().get("metric")).equals(expected)) {
            problems.add(s.text() + " is not the " + kind + " of " + rule.metric() + " (metric" + expected + ")");
        }
        return kind;
    }

    /**
     * Slice dimensions: the metric's own series carry exactly the rule's dimensions ({@code slice=~"a|b"}),
     * or no slice matcher when the rule watches every dimension; n and p selectors may repeat it.
     */
    private static void checkSlices(Selector s, String kind, AlertRule rule, boolean pipeline, List<String> problems) {
        LabelMatcher slice = s.matchers().get("slice");
        boolean value = Set.of("lower", "estimate", "upper").contains(kind);
        if (pipeline || rule.dimensions().isEmpty()) {
            if (slice != null) {
                problems.add(s.text() + " filters slices; Vigil's rule watches every dimension");
            }
            return;
        }
        if (slice == null) {
            if (value) {
                problems.add(s.text() + " does not filter the slice dimensions " + rule.dimensions());
            }
            return;
        }
        Set<String> dims = slice.op().equals("=~")
                ? new TreeSet<>(Arrays.asList(slice.value().split("\\|")))
                : slice.op().equals("=") ? Set.of(slice.value()) : Set.of();
        if (!dims.equals(new TreeSet<>(rule.dimensions()))) {
            problems.add(s.text() + " filters slice" + slice + ", Vigil's rule " + rule.dimensions());
        }
    }

    /** The window values a selector of the rule may carry. */
    private static Set<String> allowedWindows(AlertRule rule) {
        if (rule.windows().isEmpty()) {
            return Set.of("*");
        }
        Set<String> out = new TreeSet<>();
        out.add(window(rule.windows()));
        if (rule.requireAllWindows()) {
            rule.windows().forEach(w -> out.add(window(List.of(w))));
        }
        return out;
    }

    private static String window(List<String> windows) {
        return windows.stream().sorted().collect(Collectors.joining("|"));
    }

    // ------------------------------------------------------------------ reading PromQL

    /** The expression's branches: split at every {@code or} outside parentheses and strings. */
    static List<String> branches(String expr) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        boolean string = false;
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (string) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    string = false;
                }
            } else if (c == '"') {
                string = true;
            } else if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (depth == 0
                    && expr.startsWith("or", i)
                    && (i == 0 || !isWord(expr.charAt(i - 1)))
                    && (i + 2 >= expr.length() || !isWord(expr.charAt(i + 2)))) {
                out.add(expr.substring(start, i));
                start = i + 2;
            }
        }
        out.add(expr.substring(start));
        return out;
    }

    private static boolean isWord(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == ':';
    }

    /** Every selector of a branch, with the comparison that follows it, if any. */
    static List<Comparison> comparisons(String branch) {
        List<Comparison> out = new ArrayList<>();
        Matcher m = SELECTOR.matcher(branch);
        int from = 0;
        while (m.find(from)) {
            Selector left = selector(m.group(1), m.group(2));
            Matcher c = COMPARISON.matcher(branch).region(m.end(), branch.length());
            if (c.lookingAt()) {
                Selector right = c.group(4) == null ? null : selector(c.group(4), c.group(5));
                out.add(new Comparison(left, c.group(1), c.group(2), right, c.group(6)));
                from = c.end();
            } else {
                out.add(new Comparison(left, null, null, null, null));
                from = m.end();
            }
        }
        return out;
    }

    private static Selector selector(String name, String matchers) {
        Map<String, LabelMatcher> out = new LinkedHashMap<>();
        Matcher m = MATCHER.matcher(matchers);
        while (m.find()) {
            out.put(m.group(1), new LabelMatcher(m.group(2), m.group(3)));
        }
        return new Selector(name, out);
    }

    /** A Prometheus duration ({@code 1h30m}) in milliseconds; 0 when absent. */
    static long millis(String duration) {
        if (duration == null || duration.isBlank()) {
            return 0;
        }
        Matcher m = DURATION.matcher(duration.trim());
        long total = 0;
        int end = 0;
        while (m.find()) {
            assertThat(m.start()).as("duration %s", duration).isEqualTo(end);
            long n = Long.parseLong(m.group(1));
            total += n
                    * switch (m.group(2)) {
                        case "ms" -> 1L;
                        case "s" -> 1_000L;
                        case "m" -> 60_000L;
                        case "h" -> 3_600_000L;
                        case "d" -> 86_400_000L;
                        case "w" -> 7 * 86_400_000L;
                        default -> 365 * 86_400_000L;
                    };
            end = m.end();
        }
        assertThat(end).as("duration %s", duration).isEqualTo(duration.trim().length());
        return total;
    }

    /** A threshold as text, rounded to 9 decimals (0.85 - 0.05 is 0.8). */
    static String number(double value) {
        return BigDecimal.valueOf(value)
                .setScale(9, RoundingMode.HALF_UP)
                .stripTrailingZeros()
                .toPlainString();
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> problemsAfter(String yaml, String from, String to) {
        assertThat(yaml).as("vigil-rules.yml contains %s", from).contains(from);
        return problems(vigilRules(), prometheusAlerts(yaml.replace(from, to)));
    }
}
