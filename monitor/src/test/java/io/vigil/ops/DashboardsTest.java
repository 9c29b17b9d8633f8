package io.vigil.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.alerts.AlertRule;
import io.vigil.alerts.AlertRules;
import io.vigil.config.VigilConfig;
import io.vigil.http.Fleet;
import io.vigil.metrics.MetricCatalog;
import io.vigil.metrics.WorstSlices;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Checks the ops files under {@code dashboards/} and {@code docker-compose.yml} against what Vigil
 * really exports: every dashboard parses with its stable uid, is importable into any Grafana (a
 * datasource variable defaulting to the provisioned datasource, {@code __inputs}, a {@code job} variable
 * every selector filters on, {@code $__rate_interval} windows, a description on every panel, links to
 * the other dashboards and to the runbooks), uses only defined variables, and every PromQL expression
 * (dashboards, alert rules, rule tests) names only metrics and labels Vigil exports. The PromQL itself
 * is checked by {@code dashboards/check.sh} (promtool); this test needs no tools beyond the JDK.
 */
class DashboardsTest {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Path DASHBOARDS = REPO.resolve("dashboards");
    static final Path DASHBOARD_JSON = DASHBOARDS.resolve("grafana/dashboards");
    static final Path RULES = DASHBOARDS.resolve("prometheus/vigil-rules.yml");
    private static final Path RULE_TESTS = DASHBOARDS.resolve("prometheus/vigil-rules.test.yml");
    static final Path PROMETHEUS_CONFIG = DASHBOARDS.resolve("prometheus/prometheus.yml");
    private static final Path DATASOURCE = DASHBOARDS.resolve("grafana/provisioning/datasources/prometheus.yaml");
    private static final Path DASHBOARD_PROVIDER = DASHBOARDS.resolve("grafana/provisioning/dashboards/vigil.yaml");
    private static final Path COMPOSE = REPO.resolve("docker-compose.yml");

    /** The uid of the provisioned datasource: the default of every dashboard's datasource variable. */
    private static final String DATASOURCE_UID = "vigil-prometheus";
    /** What every panel, target and query variable refers to: the dashboard's datasource variable. */
    private static final String DATASOURCE_REF = "${datasource}";

    private static final String JOB_MATCHER = "job=~\"$job\"";
    private static final Path RUNBOOKS = REPO.resolve("docs/runbooks");
    private static final Path VIGIL_RULES = REPO.resolve("monitor/src/main/resources/alert-rules.json");
    private static final Set<String> EXPECTED_UIDS = Set.of(
            "vigil-fleet",
            "vigil-drilldown",
            "vigil-calibration",
            "vigil-drift",
            "vigil-labels",
            "vigil-stability",
            "vigil-alerts-pipeline");

    /** Vigil's own metrics outside the catalog: snapshot metadata, ingest, alerts, webhooks; plus Prometheus' up. */
    private static final Set<String> FIXED_METRICS = Set.of(
            "vigil_snapshot_samples",
            "vigil_snapshot_p_value",
            "vigil_snapshot_final",
            "vigil_ingest_records_total",
            "vigil_alerts_active",
            "vigil_incidents_active",
            "vigil_webhook_deliveries_total",
            "vigil_webhook_disabled",
            "vigil_slice_overflow_total",
            "vigil_slice_admission_timeouts_total",
            "up",
            "ALERTS");
    /** Micrometer binders: JVM, process, and Kafka client/Streams metrics ("kafka." + group + name). */
    private static final List<String> BINDER_PREFIXES = List.of("jvm_", "kafka_", "process_");

    /** Labels Vigil's series carry (model metrics, snapshot metadata, ingest, alerts, webhooks, binders, scrape). */
    private static final Set<String> KNOWN_LABELS = Set.of(
            "model",
            "version",
            "slice",
            "slice_value",
            "window",
            "bound",
            "metric",
            "feature",
            "bin",
            "attribute",
            "quantile",
            "series",
            "stream",
            "outcome",
            "reason",
            "rule",
            "severity",
            "dimension",
            "incident",
            "root",
            "root_value",
            "alertname",
            "alertstate",
            "endpoint",
            "job",
            "instance",
            "area",
            "id",
            "client_id",
            "thread_id",
            "process_id",
            "application_id",
            "kafka_version",
            "__name__");

    private static final Pattern VARIABLE_REF = Pattern.compile("\\$\\{(\\w+)(?::[\\w]+)?}|\\[\\[(\\w+)]]|\\$(\\w+)");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_MATCHER = Pattern.compile("(\\w+)\\s*(?:=~|!~|!=|=)");
    private static final Pattern GROUPING =
            Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)");
    private static final Set<String> PROMQL_KEYWORDS = Set.of(
            "and",
            "or",
            "unless",
            "bool",
            "offset",
            "by",
            "without",
            "on",
            "ignoring",
            "group_left",
            "group_right",
            "inf",
            "nan",
            "atan2");
    /** A range-vector window: {@code [5m]}, {@code [$__rate_interval]}, {@code [1h:5m]}. */
    private static final Pattern RANGE = Pattern.compile("\\[([^\\]]*)]");

    private static final Pattern LITERAL_RATE_WINDOW = Pattern.compile(
            "\\b(?:rate|irate|increase|delta|idelta|deriv|changes|resets|\\w+_over_time)\\s*\\((?:[^()\\[]|\\([^()]*\\))*"
                    + "\\[\\d+[smhdwy]");

    private static final ObjectMapper JSON = new ObjectMapper();

    // ------------------------------------------------------------------ dashboards

    @Test
    void shouldParseEveryDashboardWithItsStableUniqueUidAndSchemaVersion() {
        Map<String, JsonNode> byUid = new HashMap<>();
        for (Map.Entry<Path, JsonNode> e : dashboards().entrySet()) {
            JsonNode d = e.getValue();
            String uid = d.path("uid").asText();
            assertThat(byUid.put(uid, d))
                    .as("uid %s of %s is unique", uid, e.getKey())
                    .isNull();
            assertThat(d.path("schemaVersion").asInt())
                    .as("schemaVersion of %s", uid)
                    .isEqualTo(39);
            assertThat(d.path("title").asText()).as("title of %s", uid).startsWith("Vigil / ");
            assertThat(panels(d)).as("panels of %s", uid).isNotEmpty();
        }
        assertThat(byUid.keySet()).containsExactlyInAnyOrderElementsOf(EXPECTED_UIDS);
    }

    @Test
    void shouldQueryThroughADatasourceVariableThatDefaultsToTheProvisionedDatasource() throws IOException {
        assertThat(yamlScalars(Files.readAllLines(DATASOURCE), "uid")).containsExactly(DATASOURCE_UID);
        assertThat(yamlScalars(Files.readAllLines(DATASOURCE), "url")).containsExactly("http://prometheus:9090");
        for (JsonNode d : dashboards().values()) {
            String uid = d.path("uid").asText();
            JsonNode variable = variable(d, "datasource");
            assertThat(variable.path("type").asText())
                    .as("%s $datasource type", uid)
                    .isEqualTo("datasource");
            assertThat(variable.path("query").asText())
                    .as("%s $datasource plugin", uid)
                    .isEqualTo("prometheus");
            assertThat(variable.path("current").path("value").asText())
                    .as("%s $datasource default", uid)
                    .isEqualTo(DATASOURCE_UID);
            assertThat(yamlScalars(Files.readAllLines(DATASOURCE), "name"))
                    .containsExactly(variable.path("current").path("text").asText());
            assertThat(d.path("templating").path("list").get(0))
                    .as("%s: $datasource comes first", uid)
                    .isEqualTo(variable);
            for (JsonNode panel : panels(d)) {
                if (panel.path("type").asText().equals("row")) {
                    continue;
                }
                assertThat(panel.path("datasource").path("uid").asText())
                        .as("%s panel '%s' datasource", uid, panel.path("title").asText())
                        .isEqualTo(DATASOURCE_REF);
                assertThat(panel.path("targets"))
                        .as("%s panel '%s' targets", uid, panel.path("title").asText())
                        .isNotEmpty();
                for (JsonNode t : panel.path("targets")) {
                    assertThat(t.path("datasource").path("uid").asText())
                            .as(
                                    "%s panel '%s' target %s datasource",
                                    uid,
                                    panel.path("title").asText(),
                                    t.path("refId").asText())
                            .isEqualTo(DATASOURCE_REF);
                    assertThat(t.path("expr").asText())
                            .as("%s target expr", uid)
                            .isNotBlank();
                }
            }
            // Anywhere else (query variables, annotations): a Prometheus datasource object naming the variable,
            // never a name or a fixed uid.
            walk(d, (field, node) -> {
                if (field.equals("datasource")) {
                    assertThat(node.isObject())
                            .as("%s: datasource %s is an object with a uid", uid, node)
                            .isTrue();
                    assertThat(node.path("uid").asText())
                            .as("%s: datasource %s", uid, node)
                            .isEqualTo(DATASOURCE_REF);
                    assertThat(node.path("type").asText())
                            .as("%s: datasource %s", uid, node)
                            .isEqualTo("prometheus");
                }
            });
            List<String> fixed = new ArrayList<>();
            walk(d, (field, node) -> {
                if (node.isTextual() && node.asText().contains(DATASOURCE_UID)) {
                    fixed.add(field + "=" + node.asText());
                }
            });
            assertThat(fixed)
                    .as("%s: the provisioned uid appears only as the variable's default", uid)
                    .containsExactly("value=" + DATASOURCE_UID);
        }
    }

    @Test
    void shouldDeclareTheImportInputsAndRequirements() {
        for (JsonNode d : dashboards().values()) {
            String uid = d.path("uid").asText();
            JsonNode inputs = d.path("__inputs");
            assertThat(inputs.size()).as("%s __inputs", uid).isEqualTo(1);
            assertThat(inputs.get(0).path("name").asText()).isEqualTo("DS_PROMETHEUS");
            assertThat(inputs.get(0).path("type").asText()).isEqualTo("datasource");
            assertThat(inputs.get(0).path("pluginId").asText()).isEqualTo("prometheus");
            Set<String> required = new TreeSet<>();
            d.path("__requires")
                    .forEach(r -> required.add(
                            r.path("type").asText() + ":" + r.path("id").asText()));
            Set<String> used = new TreeSet<>(Set.of("grafana:grafana", "datasource:prometheus"));
            panels(d).stream()
                    .map(p -> p.path("type").asText())
                    .filter(t -> !t.equals("row"))
                    .forEach(t -> used.add("panel:" + t));
            assertThat(required)
                    .as("%s __requires: Grafana, Prometheus and every panel type used", uid)
                    .isEqualTo(used);
        }
    }

    @Test
    void shouldFilterEveryVigilSelectorOnTheJobVariable() throws IOException {
        List<String> scrapeJobs = yamlScalars(Files.readAllLines(PROMETHEUS_CONFIG), "job_name");
        assertThat(scrapeJobs).contains("vigil");
        for (JsonNode d : dashboards().values()) {
            String uid = d.path("uid").asText();
            JsonNode job = variable(d, "job");
            assertThat(job.path("type").asText()).as("%s $job type", uid).isEqualTo("query");
            assertThat(variableQuery(job)).as("%s $job query", uid).matches("label_values\\(vigil_\\w+, job\\)");
            assertThat(job.path("includeAll").asBoolean())
                    .as("%s $job offers All", uid)
                    .isTrue();
            assertThat(job.path("current").path("value").asText())
                    .as("%s $job default", uid)
                    .isEqualTo("vigil");
            // Defined before every variable whose query filters on it.
            List<String> names = new ArrayList<>();
            d.path("templating")
                    .path("list")
                    .forEach(v -> names.add(v.path("name").asText()));
            assertThat(names.indexOf("job"))
                    .as("%s: $job right after $datasource", uid)
                    .isEqualTo(1);
        }
        List<String> exprs = dashboardExpressions().stream()
                .filter(e -> !e.matches("label_values\\(vigil_\\w+, job\\)"))
                .collect(Collectors.toList());
        assertThat(exprs).hasSizeGreaterThan(50);
        for (String expr : exprs) {
            assertThat(expr).as("hard-coded job").doesNotContainPattern("\\bjob\\s*(=|!=|!~)\\s*\"");
            for (String name : metricNames(expr)) {
                Matcher m = Pattern.compile("(?<![\\w:\"])" + Pattern.quote(name) + "(?![\\w:])\\s*(\\{[^}]*})?")
                        .matcher(expr);
                int found = 0;
                while (m.find()) {
                    found++;
                    assertThat(m.group(1))
                            .as("selector of %s in %s filters on $job", name, expr)
                            .isNotNull()
                            .contains(JOB_MATCHER);
                }
                assertThat(found).as("%s in %s", name, expr).isPositive();
            }
        }
    }

    @Test
    void shouldUseRateIntervalForEveryRateWindow() {
        int windows = 0;
        for (JsonNode d : dashboards().values()) {
            for (JsonNode panel : panels(d)) {
                for (JsonNode t : panel.path("targets")) {
                    String expr = t.path("expr").asText();
                    String where =
                            d.path("uid").asText() + " '" + panel.path("title").asText() + "': " + expr;
                    assertThat(LITERAL_RATE_WINDOW.matcher(expr).find())
                            .as("literal rate window in %s", where)
                            .isFalse();
                    Matcher m = RANGE.matcher(expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\""));
                    while (m.find()) {
                        windows++;
                        // A count over the whole time range (an instant stat) may use $__range; a graph, never.
                        Set<String> allowed = t.path("instant").asBoolean()
                                ? Set.of("$__rate_interval", "$__range")
                                : Set.of("$__rate_interval");
                        assertThat(m.group(1)).as("window in %s", where).isIn(allowed);
                    }
                }
            }
        }
        assertThat(windows).isGreaterThanOrEqualTo(5);
        assertThat(LITERAL_RATE_WINDOW.matcher("sum(rate(x{a=\"b\"}[5m]))").find())
                .isTrue();
        assertThat(LITERAL_RATE_WINDOW
                        .matcher("sum(increase(x[1h])) or vector(0)")
                        .find())
                .isTrue();
        assertThat(LITERAL_RATE_WINDOW
                        .matcher("sum(rate(x{a=\"b\"}[$__rate_interval]))")
                        .find())
                .isFalse();
    }

    @Test
    void shouldDescribeEveryPanel() {
        int described = 0;
        for (JsonNode d : dashboards().values()) {
            for (JsonNode panel : panels(d)) {
                if (panel.path("type").asText().equals("row")) {
                    continue; // a row is a heading: Grafana shows no description for it
                }
                assertThat(panel.path("description").asText())
                        .as(
                                "%s panel '%s' description",
                                d.path("uid").asText(), panel.path("title").asText())
                        .isNotBlank()
                        .hasSizeGreaterThan(30);
                described++;
            }
        }
        assertThat(described).isGreaterThan(80);
    }

    @Test
    void shouldLinkEveryDashboardToTheOthersAndToTheRunbooks() {
        Map<Path, JsonNode> all = dashboards();
        for (JsonNode d : all.values()) {
            String uid = d.path("uid").asText();
            assertThat(d.path("tags").toString()).as("%s tags", uid).contains("\"vigil\"");
            JsonNode links = d.path("links");
            List<JsonNode> byTag = new ArrayList<>();
            List<JsonNode> runbooks = new ArrayList<>();
            links.forEach(l -> {
                if (l.path("type").asText().equals("dashboards")) {
                    byTag.add(l);
                } else if (l.path("title").asText().equals("Runbooks")) {
                    runbooks.add(l);
                }
            });
            // Every dashboard carries the tag, so the tag link reaches all the others.
            assertThat(byTag).as("%s links to the Vigil dashboards", uid).hasSize(1);
            assertThat(byTag.get(0).path("tags").toString()).isEqualTo("[\"vigil\"]");
            assertThat(byTag.get(0).path("keepTime").asBoolean())
                    .as("%s keeps the time range", uid)
                    .isTrue();
            assertThat(byTag.get(0).path("includeVars").asBoolean())
                    .as("%s passes the variables", uid)
                    .isTrue();
            assertThat(runbooks).as("%s links to the runbooks", uid).hasSize(1);
            assertThat(runbooks.get(0).path("type").asText()).isEqualTo("link");
            assertThat(runbooks.get(0).path("url").asText())
                    .as("%s runbooks link", uid)
                    .isEqualTo("${vigil_url}/runbooks/");
            JsonNode vigilUrl = variable(d, "vigil_url");
            assertThat(vigilUrl.path("type").asText()).isEqualTo("textbox");
            assertThat(vigilUrl.path("query").asText())
                    .as("%s $vigil_url default", uid)
                    .matches("https?://[^/]+");
        }
    }

    @Test
    void shouldListEveryActiveAlertAndOpenIncidentWithItsRunbook() throws IOException {
        JsonNode d = dashboard("vigil-alerts-pipeline");
        JsonNode alerts = panel(d, "Active alerts");
        assertThat(alerts.path("targets")).hasSize(1);
        String expr = alerts.path("targets").get(0).path("expr").asText();
        // A label set counts its firing alerts (e.g. one rule over two windows: 2): every value above 0 is shown.
        assertThat(expr).contains("vigil_alerts_active").contains("> 0").doesNotContain("== 1");
        String link = linksOf(alerts, "rule");
        assertThat(link).contains("${vigil_url}/runbooks/${__data.fields.rule}");

        JsonNode incidents = panel(d, "Open incidents");
        assertThat(incidents.path("type").asText()).isEqualTo("table");
        assertThat(incidents.path("targets").get(0).path("expr").asText())
                .contains("vigil_incidents_active")
                .contains("> 0")
                .doesNotContain("== 1");
        assertThat(incidents.path("description").asText())
                .contains("root cause")
                .contains("incident label");
        assertThat(incidents.path("gridPos").path("y").asInt())
                .as("open incidents near the top")
                .isLessThanOrEqualTo(alerts.path("gridPos").path("y").asInt());
        assertThat(linksOf(incidents, "incident")).contains("${vigil_url}/runbooks/VigilIncident");

        // Every rule Vigil can fire, and the incident, has the runbook the data links point to.
        Set<String> rules = new TreeSet<>(Set.of("VigilIncident"));
        JSON.readTree(VIGIL_RULES.toFile())
                .path("rules")
                .forEach(r -> rules.add(r.path("name").asText()));
        assertThat(rules).hasSizeGreaterThan(10);
        rules.forEach(r ->
                assertThat(RUNBOOKS.resolve(r + ".md")).as("runbook of %s", r).exists());
        assertThat(RUNBOOKS.resolve("README.md")).exists();
    }

    @Test
    void shouldTakeTheAlertThresholdsTheDashboardsColourAndDrawFromVigilsRuleFile() {
        Map<String, AlertRule> rules =
                AlertRules.load(VIGIL_RULES.toString()).stream().collect(Collectors.toMap(AlertRule::name, r -> r));
        AlertRule sens = rules.get("VigilSensitivityBelowTarget");
        AlertRule spec = rules.get("VigilSpecificityBelowTarget");
        AlertRule ece = rules.get("VigilCalibrationErrorHigh");
        AlertRule psi = rules.get("VigilScoreDistributionShift");
        AlertRule oe = rules.get("VigilCalibrationInTheLargeOff");
        AlertRule slope = rules.get("VigilCalibrationSlopeOff");
        AlertRule flip = rules.get("VigilFlipRateHigh");
        AlertRule deadLetters = rules.get("VigilDeadLetterShareHigh");
        AlertRule coverage = rules.get("VigilLabelCoverageLow");
        // Colours: below-target rules green from the target, orange from target - margin; above-limit rules red
        // from the limit, orange from limit - margin; a p-value red to max_p, green from resolve_p.
        JsonNode fleet = panel(dashboard("vigil-fleet"), "Fleet: model x slice");
        assertThat(columnSteps(fleet, "Sensitivity lower"))
                .containsExactly(near(sens.target() - sens.margin()), sens.target());
        assertThat(columnSteps(fleet, "Sensitivity"))
                .containsExactly(near(sens.target() - sens.margin()), sens.target());
        assertThat(columnSteps(fleet, "Specificity lower"))
                .containsExactly(near(spec.target() - spec.margin()), spec.target());
        assertThat(columnSteps(fleet, "ECE")).containsExactly(near(ece.target() - ece.margin()), ece.target());
        assertThat(columnSteps(fleet, "Score PSI").get(0)).isEqualTo(psi.minEstimate());
        assertThat(columnSteps(fleet, "PSI p-value")).containsExactly(psi.maxP(), psi.resolveP());
        assertThat(columnSteps(fleet, "Label coverage")).containsExactly(coverage.target());
        assertThat(panelSteps(panel(dashboard("vigil-fleet"), "Worst 10 slices: sensitivity lower bound")))
                .containsExactly(near(sens.target() - sens.margin()), sens.target());
        // Lines drawn at a rule's limit.
        assertThat(panelSteps(panel(dashboard("vigil-drilldown"), "Sensitivity: scanner $scanner")))
                .containsExactly(sens.target());
        assertThat(panelSteps(panel(dashboard("vigil-drilldown"), "ECE: site $site")))
                .containsExactly(ece.target());
        assertThat(panelSteps(panel(dashboard("vigil-calibration"), "Expected calibration error (ECE)")))
                .containsExactly(ece.target());
        assertThat(panelSteps(panel(dashboard("vigil-calibration"), "Observed / expected positives")))
                .containsExactly(oe.low(), oe.high());
        assertThat(panelSteps(panel(dashboard("vigil-calibration"), "Calibration slope (ideal 1)")))
                .containsExactly(slope.low(), slope.high());
        assertThat(panelSteps(panel(dashboard("vigil-drift"), "PSI p-value (log scale)")))
                .containsExactly(psi.maxP());
        assertThat(panelSteps(panel(dashboard("vigil-stability"), "Decision flip rate on repeat studies")))
                .containsExactly(flip.target());
        assertThat(panelSteps(panel(dashboard("vigil-alerts-pipeline"), "Dead-letter share")))
                .containsExactly(deadLetters.target());
        // Every number any dashboard colours or draws by is one of the rules' (or a count, or PSI's
        // conventional 0.25 "major shift", which no rule uses).
        Set<Double> allowed = new TreeSet<>(Set.of(1.0, 0.25));
        for (AlertRule r : rules.values()) {
            double m = r.margin();
            Stream.of(r.target(), r.low(), r.high(), r.minEstimate(), r.maxP(), r.resolveP())
                    .filter(java.util.Objects::nonNull)
                    .forEach(v -> {
                        allowed.add(near(v));
                        allowed.add(near(v - m));
                        allowed.add(near(v + m));
                    });
        }
        List<Double> used = new ArrayList<>();
        for (JsonNode d : dashboards().values()) {
            walk(d, (field, node) -> {
                if (field.equals("steps")) {
                    node.forEach(step -> {
                        if (step.path("value").isNumber()) {
                            used.add(near(step.path("value").asDouble()));
                        }
                    });
                }
            });
        }
        assertThat(used).hasSizeGreaterThan(20);
        assertThat(used).as("threshold values not taken from alert-rules.json").isSubsetOf(allowed);
    }

    private static double near(double v) {
        return Math.round(v * 1e9) / 1e9;
    }

    /** The threshold step values (base step left out) a table sets on one column. */
    private static List<Double> columnSteps(JsonNode panel, String column) {
        for (JsonNode o : panel.path("fieldConfig").path("overrides")) {
            if (o.path("matcher").path("options").asText().equals(column)) {
                for (JsonNode p : o.path("properties")) {
                    if (p.path("id").asText().equals("thresholds")) {
                        return stepValues(p.path("value"));
                    }
                }
            }
        }
        throw new AssertionError(panel.path("title").asText() + " has no thresholds on " + column);
    }

    /** The threshold step values (base step left out) of a panel's defaults. */
    private static List<Double> panelSteps(JsonNode panel) {
        return stepValues(panel.path("fieldConfig").path("defaults").path("thresholds"));
    }

    private static List<Double> stepValues(JsonNode thresholds) {
        List<Double> out = new ArrayList<>();
        thresholds.path("steps").forEach(s -> {
            if (s.path("value").isNumber()) {
                out.add(near(s.path("value").asDouble()));
            }
        });
        return out;
    }

    @Test
    void shouldLeaveSlicesBelowVigilsMinimumNOutOfTheWorstSlicePanels() {
        int outcomesMinN = (Integer) VigilConfig.definition().configKeys().get(VigilConfig.OUTCOMES_MIN_N).defaultValue;
        Pattern gate = Pattern.compile("vigil_snapshot_samples\\{[^}]*metric=\"(\\w+)\"[^}]*}\\s*>=\\s*(\\d+)");
        int worst = 0;
        for (JsonNode d : dashboards().values()) {
            for (JsonNode panel : panels(d)) {
                if (!panel.path("title").asText().toLowerCase().contains("worst")) {
                    continue;
                }
                for (JsonNode t : panel.path("targets")) {
                    worst++;
                    String expr = t.path("expr").asText();
                    Matcher m = gate.matcher(expr);
                    assertThat(m.find())
                            .as(
                                    "'%s' gated on vigil_snapshot_samples: %s",
                                    panel.path("title").asText(), expr)
                            .isTrue();
                    String metric = m.group(1);
                    int minN = Integer.parseInt(m.group(2));
                    // Performance metrics: the n at which a slice competes as worst (outcomes.min-n); drift: the
                    // n at which a drift statistic counts as a signal (Fleet.MIN_N).
                    assertThat(minN)
                            .as("min n of %s in %s", metric, expr)
                            .isEqualTo(WorstSlices.METRICS.contains(metric) ? outcomesMinN : (int) Fleet.MIN_N);
                    assertThat(expr)
                            .as("the gate is the metric's own")
                            .contains(metric.startsWith("score_") ? "vigil_" + metric : "vigil_" + metric + "_ratio");
                    assertThat(panel.path("description").asText()).contains(String.valueOf(minN));
                }
            }
        }
        assertThat(worst).as("worst-slice panels").isGreaterThanOrEqualTo(2);
    }

    @Test
    void shouldDefineEveryTemplateVariableADashboardUses() {
        for (JsonNode d : dashboards().values()) {
            Set<String> defined = new TreeSet<>();
            d.path("templating")
                    .path("list")
                    .forEach(v -> defined.add(v.path("name").asText()));
            Set<String> used = new TreeSet<>();
            walk(d, (field, node) -> {
                if (node.isTextual()) {
                    used.addAll(variableRefs(node.asText()));
                }
            });
            assertThat(defined)
                    .as("%s defines variables", d.path("uid").asText())
                    .isNotEmpty();
            assertThat(used).as("variables used in %s", d.path("uid").asText()).isSubsetOf(defined);
        }
    }

    @Test
    void shouldOfferModelVersionSiteAndScannerWhereSlicesAreCompared() {
        for (String uid : List.of("vigil-fleet", "vigil-drilldown")) {
            JsonNode d = dashboards().values().stream()
                    .filter(x -> x.path("uid").asText().equals(uid))
                    .findFirst()
                    .orElseThrow();
            Map<String, String> queries = new LinkedHashMap<>();
            d.path("templating")
                    .path("list")
                    .forEach(v -> queries.put(v.path("name").asText(), variableQuery(v)));
            assertThat(queries).containsKeys("model", "version", "site", "scanner");
            assertThat(queries.get("site")).contains("slice=\"site\"").contains("slice_value");
            assertThat(queries.get("scanner")).contains("slice=\"scanner\"").contains("$site");
        }
    }

    @Test
    void shouldSayWherePanelsNeedTheDetailSwitch() {
        Set<String> detail = new TreeSet<>();
        MetricCatalog.families().values().stream()
                .filter(MetricCatalog.Family::detail)
                .forEach(f -> detail.add(f.prometheusName()));
        assertThat(detail).contains("vigil_reliability_observed_ratio", "vigil_brier_score");
        int noted = 0;
        for (JsonNode d : dashboards().values()) {
            for (JsonNode panel : panels(d)) {
                Set<String> names = new TreeSet<>();
                panel.path("targets")
                        .forEach(t -> names.addAll(metricNames(t.path("expr").asText())));
                names.retainAll(detail);
                if (!names.isEmpty()) {
                    // Off by default (the series budget): an empty panel must say why.
                    assertThat(panel.path("description").asText())
                            .as(
                                    "%s panel '%s' reads %s",
                                    d.path("uid").asText(), panel.path("title").asText(), names)
                            .contains("metrics.detail=true");
                    noted++;
                }
            }
        }
        assertThat(noted).isGreaterThan(10);
    }

    @Test
    void shouldUseOnlyMetricsAndLabelsVigilExportsInDashboards() {
        Set<String> allowed = exportedMetrics();
        List<String> exprs = dashboardExpressions();
        assertThat(exprs).hasSizeGreaterThan(50);
        Set<String> used = new TreeSet<>();
        for (String expr : exprs) {
            Set<String> names = metricNames(expr);
            assertThat(names).as("metrics in %s", expr).isNotEmpty();
            used.addAll(names);
            assertThat(labelNames(expr)).as("labels in %s", expr).isSubsetOf(KNOWN_LABELS);
        }
        assertThat(used.stream().filter(n -> !isExported(n, allowed)))
                .as("metrics not exported by Vigil")
                .isEmpty();
        // The dashboards cover the catalog's key families.
        assertThat(used)
                .contains(
                        "vigil_sensitivity_ratio",
                        "vigil_ece_ratio",
                        "vigil_reliability_observed_ratio",
                        "vigil_reliability_mean_score",
                        "vigil_observed_expected_ratio",
                        "vigil_score_psi",
                        "vigil_score_ks_statistic",
                        "vigil_score_js_distance",
                        "vigil_score_wasserstein",
                        "vigil_positive_rate_ratio",
                        "vigil_label_coverage_predicted_positive_ratio",
                        "vigil_verification_bias",
                        "vigil_label_delay_seconds",
                        "vigil_snapshot_final",
                        "vigil_flip_rate_ratio",
                        "vigil_cusum_statistic",
                        "vigil_alerts_active",
                        "vigil_ingest_records_total",
                        "kafka_stream_thread_process_rate",
                        "up");
    }

    @Test
    void shouldDrawEveryConfidenceBandFromLowerToUpper() {
        int bands = 0;
        for (JsonNode d : dashboards().values()) {
            for (JsonNode panel : panels(d)) {
                Set<String> legends = new LinkedHashSet<>();
                panel.path("targets")
                        .forEach(t -> legends.add(t.path("legendFormat").asText()));
                if (!legends.containsAll(List.of("lower", "estimate", "upper"))) {
                    continue;
                }
                bands++;
                for (JsonNode t : panel.path("targets")) {
                    String legend = t.path("legendFormat").asText();
                    if (Set.of("lower", "estimate", "upper").contains(legend)) {
                        assertThat(t.path("expr").asText()).contains("bound=\"" + legend + "\"");
                    }
                }
                String fill = null;
                for (JsonNode o : panel.path("fieldConfig").path("overrides")) {
                    if (o.path("matcher").path("options").asText().equals("upper")) {
                        for (JsonNode p : o.path("properties")) {
                            if (p.path("id").asText().equals("custom.fillBelowTo")) {
                                fill = p.path("value").asText();
                            }
                        }
                    }
                }
                assertThat(fill)
                        .as(
                                "%s '%s' fills upper down to lower",
                                d.path("uid").asText(), panel.path("title").asText())
                        .isEqualTo("lower");
            }
        }
        assertThat(bands).isGreaterThan(10);
    }

    // ------------------------------------------------------------------ Prometheus rules

    @Test
    void shouldUseOnlyExportedMetricsAndLabelsInAlertRulesAndTheirTests() throws IOException {
        Set<String> allowed = exportedMetrics();
        List<String> ruleLines = Files.readAllLines(RULES);
        List<String> exprs = new ArrayList<>(yamlScalars(ruleLines, "expr"));
        List<String> testLines = Files.readAllLines(RULE_TESTS);
        exprs.addAll(yamlScalars(testLines, "expr"));
        // Input series of the unit tests (not the `series` label in expected alerts).
        exprs.addAll(yamlScalars(
                testLines.stream().filter(l -> l.trim().startsWith("- series:")).collect(Collectors.toList()),
                "series"));
        assertThat(exprs).hasSizeGreaterThan(30);
        for (String expr : exprs) {
            Set<String> names = metricNames(expr);
            assertThat(names).as("metrics in %s", expr).isNotEmpty();
            assertThat(names.stream().filter(n -> !isExported(n, allowed)))
                    .as("metrics not exported by Vigil in %s", expr)
                    .isEmpty();
            assertThat(labelNames(expr)).as("labels in %s", expr).isSubsetOf(KNOWN_LABELS);
        }
    }

    @Test
    void shouldGiveEveryAlertASeverityAndNoIdentifyingLabels() throws IOException {
        List<String> lines = Files.readAllLines(RULES);
        List<String> alerts = yamlScalars(lines, "alert");
        assertThat(alerts).hasSizeGreaterThanOrEqualTo(10).doesNotHaveDuplicates();
        // A severity is one of three, or passed through from a series that carries one of them (VigilIncident's
        // vigil_incidents_active, whose severity Vigil sets from its member alerts).
        assertThat(yamlScalars(lines, "severity"))
                .hasSameSizeAs(alerts)
                .allMatch(s -> Set.of("critical", "warning", "info", "{{ $labels.severity }}")
                        .contains(s));
        assertThat(yamlScalars(lines, "summary")).hasSameSizeAs(alerts);
        assertThat(yamlScalars(lines, "description")).hasSameSizeAs(alerts);
        // Alert labels are series labels (checked against KNOWN_LABELS) plus severity; no rule text
        // (expressions, labels, annotations) mentions an identifying field.
        String rules = lines.stream().filter(l -> !l.trim().startsWith("#")).collect(Collectors.joining("\n"));
        assertThat(rules)
                .doesNotContainIgnoringCase("patient")
                .doesNotContainIgnoringCase("accession")
                .doesNotContainIgnoringCase("serial")
                .doesNotContain("subject_key")
                .doesNotContain("study_key");
        // Every alert has a promtool test.
        assertThat(yamlScalars(Files.readAllLines(RULE_TESTS), "alertname")).containsAll(alerts);
    }

    // ------------------------------------------------------------------ docker-compose

    @Test
    void shouldMountOnlyFilesThatExistInTheRepository() throws IOException {
        List<String> lines = Files.readAllLines(COMPOSE);
        Map<String, Path> mounts = composeMounts(lines);
        assertThat(mounts).hasSizeGreaterThanOrEqualTo(6);
        mounts.forEach((target, source) ->
                assertThat(source).as("mount source for %s", target).exists());
        assertThat(lines).anyMatch(l -> l.trim().equals("build: ."));
        assertThat(REPO.resolve("Dockerfile")).exists();
    }

    @Test
    void shouldWireComposePrometheusAndGrafanaToTheCheckedFiles() throws IOException {
        Map<String, Path> mounts = composeMounts(Files.readAllLines(COMPOSE));
        // Prometheus reads the very files check.sh and this test check.
        assertThat(mounts.get("/etc/prometheus/prometheus.yml")).isEqualTo(PROMETHEUS_CONFIG);
        for (String ruleFile : yamlListItems(Files.readAllLines(PROMETHEUS_CONFIG), "rule_files")) {
            String inContainer = ruleFile.startsWith("/") ? ruleFile : "/etc/prometheus/" + ruleFile;
            assertThat(mounts.get(inContainer))
                    .as("rule file %s mounted", inContainer)
                    .isEqualTo(RULES);
            assertThat(PROMETHEUS_CONFIG.getParent().resolve(ruleFile))
                    .as("rule file next to the config")
                    .exists();
        }
        assertThat(mounts.get("/etc/alertmanager/alertmanager.yml"))
                .isEqualTo(DASHBOARDS.resolve("alertmanager/alertmanager.yml"));
        // Grafana's dashboard provider reads the directory the dashboards are mounted at.
        List<String> paths = yamlScalars(Files.readAllLines(DASHBOARD_PROVIDER), "path");
        assertThat(paths).containsExactly("/var/lib/grafana/dashboards");
        assertThat(mounts.get(paths.get(0))).isEqualTo(DASHBOARD_JSON);
        assertThat(mounts.get("/etc/grafana/provisioning/datasources")).isEqualTo(DATASOURCE.getParent());
    }

    // ------------------------------------------------------------------ the extractors themselves

    @Test
    void shouldExtractMetricNamesButNotFunctionsLabelsKeywordsOrDurations() {
        assertThat(metricNames(
                        "max without (bound) (vigil_sensitivity_ratio{bound=\"upper\", slice_value=~\"$site/.*\"} < 0.85)"
                                + " and on (model, version) vigil_snapshot_samples{metric=\"sensitivity\"} >= 5e1"))
                .containsExactlyInAnyOrder("vigil_sensitivity_ratio", "vigil_snapshot_samples");
        assertThat(metricNames(
                        "sum by (stream) (rate(vigil_ingest_records_total{outcome=\"dead_lettered\"}[10m] offset 1h))"
                                + " / ignoring(reason) group_left(stream) vigil:ingest_records:rate5m"))
                .containsExactlyInAnyOrder("vigil_ingest_records_total", "vigil:ingest_records:rate5m");
        assertThat(metricNames("label_values(vigil_window_predictions{slice=\"site\"}, slice_value)"))
                .containsExactly("vigil_window_predictions");
        assertThat(metricNames("{__name__=\"vigil_ece_ratio\"}")).isEmpty();
        assertThat(labelNames("sum by (stream, reason) (x{outcome!=\"a\", bound=~\"b\"})"))
                .containsExactlyInAnyOrder("stream", "reason", "outcome", "bound");
        assertThat(variableRefs("x{model=\"$model\", s=~\"${site:regex}\"}[$__rate_interval] [[scanner]]"))
                .containsExactlyInAnyOrder("model", "site", "scanner");
        assertThat(isExported("vigil_sensitivity_ratio", exportedMetrics())).isTrue();
        assertThat(isExported("vigil_sensitivity", exportedMetrics())).isFalse();
    }

    // ------------------------------------------------------------------ helpers

    /** Catalog names, fixed names and the recording rules defined in vigil-rules.yml. */
    private static Set<String> exportedMetrics() {
        Set<String> allowed = new TreeSet<>(FIXED_METRICS);
        MetricCatalog.families().values().forEach(f -> allowed.add(f.prometheusName()));
        try {
            allowed.addAll(yamlScalars(Files.readAllLines(RULES), "record"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return allowed;
    }

    private static boolean isExported(String name, Set<String> allowed) {
        return allowed.contains(name) || BINDER_PREFIXES.stream().anyMatch(name::startsWith);
    }

    /** Metric names in a PromQL expression (or a Grafana label_values() query). */
    static Set<String> metricNames(String expr) {
        String s = expr.replaceAll("\\$\\{\\w+(?::\\w+)?}|\\$\\w+|\\[\\[\\w+]]", "");
        Matcher lv = Pattern.compile("^\\s*label_values\\((.*),\\s*\\w+\\s*\\)\\s*$", Pattern.DOTALL)
                .matcher(s);
        if (lv.matches()) {
            s = lv.group(1);
        }
        s = s.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"").replaceAll("'(?:[^'\\\\]|\\\\.)*'", "''");
        s = s.replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^]]*]", " ");
        s = GROUPING.matcher(s).replaceAll(" ");
        s = s.replaceAll("\\boffset\\s+\\S+", " ");
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            String token = m.group();
            int before = m.start() - 1;
            if (before >= 0 && (Character.isDigit(s.charAt(before)) || s.charAt(before) == '.')) {
                continue; // exponent of a number such as 5e1
            }
            int after = m.end();
            while (after < s.length() && Character.isWhitespace(s.charAt(after))) {
                after++;
            }
            boolean function = after < s.length() && s.charAt(after) == '(';
            if (!function && !PROMQL_KEYWORDS.contains(token.toLowerCase())) {
                names.add(token);
            }
        }
        return names;
    }

    /** Label names in matchers and in by/without/on/ignoring/group_* lists. */
    static Set<String> labelNames(String expr) {
        String s = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"");
        Set<String> labels = new TreeSet<>();
        Matcher braces = Pattern.compile("\\{([^}]*)}").matcher(s);
        while (braces.find()) {
            Matcher m = LABEL_MATCHER.matcher(braces.group(1));
            while (m.find()) {
                labels.add(m.group(1));
            }
        }
        Matcher g = GROUPING.matcher(s);
        while (g.find()) {
            for (String l : g.group(1).split(",")) {
                if (!l.isBlank()) {
                    labels.add(l.trim());
                }
            }
        }
        return labels;
    }

    /** Template variables referenced ($x, ${x}, ${x:fmt}, [[x]]), without Grafana's built-ins ($__...). */
    static Set<String> variableRefs(String text) {
        Set<String> refs = new TreeSet<>();
        Matcher m = VARIABLE_REF.matcher(text);
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
            if (!name.startsWith("__")) {
                refs.add(name);
            }
        }
        return refs;
    }

    static Map<Path, JsonNode> dashboards() {
        Map<Path, JsonNode> out = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(DASHBOARD_JSON)) {
            for (Path f :
                    files.filter(p -> p.toString().endsWith(".json")).sorted().collect(Collectors.toList())) {
                out.put(f, JSON.readTree(f.toFile()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(out).as("dashboards in %s", DASHBOARD_JSON).isNotEmpty();
        return out;
    }

    /** Every panel, including those nested in collapsed rows. */
    static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> out = new ArrayList<>();
        collectPanels(dashboard.path("panels"), out);
        return out;
    }

    private static void collectPanels(JsonNode panels, List<JsonNode> out) {
        for (JsonNode p : panels) {
            out.add(p);
            collectPanels(p.path("panels"), out);
        }
    }

    private static List<String> dashboardExpressions() {
        List<String> exprs = new ArrayList<>();
        for (JsonNode d : dashboards().values()) {
            panels(d)
                    .forEach(p -> p.path("targets")
                            .forEach(t -> exprs.add(t.path("expr").asText())));
            d.path("templating").path("list").forEach(v -> {
                if (v.path("type").asText().equals("query")) {
                    exprs.add(variableQuery(v));
                }
            });
        }
        return exprs;
    }

    private static JsonNode variable(JsonNode dashboard, String name) {
        for (JsonNode v : dashboard.path("templating").path("list")) {
            if (v.path("name").asText().equals(name)) {
                return v;
            }
        }
        throw new AssertionError(dashboard.path("uid").asText() + " has no variable $" + name);
    }

    private static JsonNode dashboard(String uid) {
        return dashboards().values().stream()
                .filter(d -> d.path("uid").asText().equals(uid))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no dashboard " + uid));
    }

    private static JsonNode panel(JsonNode dashboard, String title) {
        return panels(dashboard).stream()
                .filter(p -> p.path("title").asText().equals(title))
                .findFirst()
                .orElseThrow(() -> new AssertionError(dashboard.path("uid").asText() + " has no panel " + title));
    }

    /** The data links a table sets on one column (field override by name), as JSON text. */
    private static String linksOf(JsonNode panel, String column) {
        for (JsonNode o : panel.path("fieldConfig").path("overrides")) {
            if (o.path("matcher").path("options").asText().equals(column)) {
                for (JsonNode p : o.path("properties")) {
                    if (p.path("id").asText().equals("links")) {
                        return p.path("value").toString();
                    }
                }
            }
        }
        throw new AssertionError(panel.path("title").asText() + " has no data links on " + column);
    }

    static String variableQuery(JsonNode variable) {
        JsonNode q = variable.path("query");
        return q.isObject() ? q.path("query").asText() : q.asText();
    }

    private static void walk(JsonNode node, BiConsumer<String, JsonNode> visitor) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> {
                visitor.accept(e.getKey(), e.getValue());
                walk(e.getValue(), visitor);
            });
        } else if (node.isArray()) {
            node.forEach(child -> {
                visitor.accept("", child);
                walk(child, visitor);
            });
        }
    }

    /**
     * The values of {@code key:} anywhere in a YAML file (also as {@code - key:}), unquoted; a block
     * scalar ({@code |} or {@code >}) is joined from its more-indented lines. Enough for our own files,
     * which keep one key per line; the project has no YAML library.
     */
    static List<String> yamlScalars(List<String> lines, String key) {
        Pattern p = Pattern.compile("^(\\s*(?:-\\s+)?)" + Pattern.quote(key) + ":\\s*(.*)$");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = p.matcher(lines.get(i));
            if (!m.matches() || lines.get(i).trim().startsWith("#")) {
                continue;
            }
            int indent = m.group(1).length();
            String value = m.group(2).trim();
            if (value.startsWith("|") || value.startsWith(">")) {
                StringBuilder block = new StringBuilder();
                while (i + 1 < lines.size() && (lines.get(i + 1).isBlank() || indentOf(lines.get(i + 1)) > indent)) {
                    block.append(lines.get(++i).trim()).append('\n');
                }
                out.add(block.toString().trim());
            } else if (!value.isEmpty()) {
                out.add(unquote(value));
            }
        }
        return out;
    }

    /** The items of a top-level YAML list such as {@code rule_files:}. */
    private static List<String> yamlListItems(List<String> lines, String key) {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (String line : lines) {
            if (line.startsWith(key + ":")) {
                in = true;
            } else if (in && line.trim().startsWith("- ")) {
                out.add(unquote(line.trim().substring(2).trim()));
            } else if (in && !line.isBlank() && !line.trim().startsWith("#")) {
                in = false;
            }
        }
        return out;
    }

    /** Bind mounts of docker-compose.yml: container path -> repository path (sources starting with ./). */
    private static Map<String, Path> composeMounts(List<String> lines) {
        Pattern mount = Pattern.compile("^\\s*-\\s*[\"']?(\\./[^:\"'\\s]+):([^:\"'\\s]+)(?::(?:ro|rw))?[\"']?\\s*$");
        Map<String, Path> out = new LinkedHashMap<>();
        for (String line : lines) {
            Matcher m = mount.matcher(line);
            if (m.matches()) {
                out.put(m.group(2), REPO.resolve(m.group(1)).normalize());
            }
        }
        return out;
    }

    private static int indentOf(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) == ' ') {
            i++;
        }
        return i;
    }

    private static String unquote(String value) {
        String v = value.trim();
        if (v.length() >= 2 && (v.startsWith("'") && v.endsWith("'") || v.startsWith("\"") && v.endsWith("\""))) {
            return v.substring(1, v.length() - 1);
        }
        return v;
    }
}
