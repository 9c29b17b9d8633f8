package io.vigil.docs;

import io.vigil.config.VigilConfig;
import io.vigil.metrics.MetricCatalog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;

/**
 * The configuration and metrics references under {@code docs/}, generated from the code that defines them:
 * every setting from {@link VigilConfig#definition()} (key, type, default, documentation) and every
 * snapshot metric family from {@link MetricCatalog#families()}. {@code ReferenceDocsTest} fails when the
 * committed files differ from what this produces; {@link #REGENERATE} rewrites them.
 */
public final class ReferenceDocs {

    /** The command that rewrites docs/configuration.md and docs/metrics.md from the code. */
    public static final String REGENERATE =
            "./mvnw -B -pl monitor test -Dtest=ReferenceDocsTest -Dvigil.docs.write=true";

    /** Repository-relative paths of the generated files. */
    public static final String CONFIGURATION_FILE = "docs/configuration.md";

    public static final String METRICS_FILE = "docs/metrics.md";

    private static final String HEADER = "<!-- GENERATED from %s by io.vigil.docs.ReferenceDocs: do not edit. "
            + "Regenerate with: " + REGENERATE + " -->\n";

    private ReferenceDocs() {}

    /** docs/configuration.md: the prose on how settings are given, then one row per declared setting. */
    public static String configurationMarkdown() {
        StringBuilder out = new StringBuilder();
        out.append(HEADER.formatted("monitor/src/main/java/io/vigil/config/VigilConfig.java"));
        out.append("""

                # Configuration

                Settings come, in rising precedence, from defaults, a properties file (`vigil run -c FILE`),
                environment variables and `--set key=value`. A declared key maps to `VIGIL_` + the key upper-cased
                with dots and dashes as underscores (`topic.ground-truth` -> `VIGIL_TOPIC_GROUND_TRUTH`). Kafka client
                and Streams settings pass through with the prefix `kafka.` (`kafka.security.protocol=SASL_SSL`,
                `VIGIL_KAFKA_SASL_JAAS_CONFIG=...`). Alert targets and webhook endpoints take pattern keys:
                `alerts.targets.<model>.<metric>`, `alerts.webhook.<name>.{url,secret,secret-file,format,events}`
                (`VIGIL_ALERTS_WEBHOOK_<NAME>_URL`, ...). An unknown key or variable fails startup naming it.
                Vigil changes some Kafka defaults, each overridable the same way: `commit.interval.ms` 1000 (Streams:
                100 under exactly-once), `transaction.timeout.ms` 60000 (Streams: 10000; see "Exactly once" in
                [architecture.md](architecture.md#exactly-once)), for the
                stream threads' producers `batch.size` 262144 with `compression.type` lz4 and `buffer.memory` 64 MB
                (Kafka: 16 KB, none, 32 MB; 1.5x the replay rate), and `rocksdb.config.setter`
                `io.vigil.config.RocksDbCompression` (LZ4 blocks; the outcome join's store is 50 instead of ~320 MB per
                million waiting predictions). Measurements in [benchmarks.md](benchmarks.md), "Third round".

                In the table, *(required)* means the setting has no default, *(none)* a default of no value and
                *(empty)* an empty string or list.

                | key | type | default | description |
                |---|---|---|---|
                """);
        for (ConfigDef.ConfigKey key : VigilConfig.definition().configKeys().values()) {
            out.append("| `")
                    .append(key.name)
                    .append("` | ")
                    .append(key.type.name().toLowerCase(java.util.Locale.ROOT))
                    .append(" | ")
                    .append(defaultText(key))
                    .append(" | ")
                    .append(cell(key.documentation))
                    .append(" |\n");
        }
        return out.toString();
    }

    /** docs/metrics.md: the labels every model metric carries, then one row per snapshot metric family. */
    public static String metricsMarkdown() {
        StringBuilder out = new StringBuilder();
        out.append(HEADER.formatted("monitor/src/main/java/io/vigil/metrics/MetricCatalog.java"));
        out.append("""

                # Metrics (`/metrics`)

                Model metrics are gauges read from the latest metric snapshots, labelled `model`, `version`,
                `slice` (dimension), `slice_value`, `window` and `bound` (`estimate`, `lower`, `upper`); some families
                add the label in the third column. `vigil_snapshot_samples{metric,...}` is n,
                `vigil_snapshot_p_value{metric,...}` the p-value of a test against the reference and
                `vigil_snapshot_final{metric,...}` 1 when labels have matured (0 while provisional).

                **What `/metrics` carries by default** (`metrics.detail=false`): the *decision* families below, at the
                windows in `metrics.windows` (default `7d,30d`; the CUSUM families whatever their window), with
                `vigil_snapshot_samples` and `vigil_snapshot_p_value` only for the metrics a configured alert rule
                reads, and `vigil_snapshot_final` only for `metric="labelled"` (every outcome metric of a window shares
                that window's status). *Detail* families, every window, and every companion series appear with
                `metrics.detail=true`. Everything is on `/api/v1` and the snapshots topic either way. This keeps a slice
                under 200 series ([scaling.md](scaling.md#series-bound)).
                A labelled metric whose own n is below `outcomes.min-n` (see [configuration.md](configuration.md) for
                which n) has no value series; instead `vigil_snapshot_insufficient_n{metric,...}` is 1 and
                `vigil_snapshot_samples` gives the n.
                In the snapshot (and `/api/v1`) it has status `insufficient_n` and no estimate, and alert rules treat it
                as no evidence: a firing alert neither resolves nor re-fires on it. `labelled`, `prevalence`, label
                coverage and label delay are always published: they say why a metric is missing.

                | snapshot metric | Prometheus gauge | extra label | exported | meaning |
                |---|---|---|---|---|
                """);
        for (MetricCatalog.Family f : MetricCatalog.families().values()) {
            boolean param = f.paramLabel() != null;
            out.append("| `")
                    .append(f.name())
                    .append(param ? ":<" + f.paramLabel() + ">" : "")
                    .append("` | `")
                    .append(f.prometheusName())
                    .append("` | ")
                    .append(param ? "`" + f.paramLabel() + "`" : "")
                    .append(" | ")
                    .append(f.detail() ? "detail" : "decision")
                    .append(" | ")
                    .append(cell(f.help()))
                    .append(" |\n");
        }
        out.append("""

                The series these families add up to are bounded: see "Series bound" in
                [scaling.md](scaling.md#series-bound).

                Besides the snapshot gauges, Vigil exports these (registered where they are counted, not in the
                metric catalog):

                | other metric | type | labels |
                |---|---|---|
                """);
        for (List<String> row : OTHER_METRICS) {
            out.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        out.append("""

                The snapshot gauges are the same on every instance; the two counters `vigil_ingest_records_total` and
                `vigil_outcome_join_events_total` count the active tasks of the instance that exports them, so with
                several instances the total is their sum (see [scaling.md](scaling.md#scaling-out)).

                Kafka Streams' state-store metrics (`kafka_stream_state_*`) carry `state_id` and `store_type`
                (`rocksdb`, `in.memory`, ...) for every store. Kafka names that label after the store's type
                (`rocksdb_state_id`, `in_memory_state_id`), which Prometheus cannot take under one metric name: before
                `KafkaStoreTags`, whichever type registered first was exported and the others were dropped with one
                WARN per start. Micrometer's binder picks up new Kafka metrics once a minute, so the stores' series
                appear about a minute after start.
                """);
        return out.toString();
    }

    /**
     * Metrics registered outside the catalog (process counters and gauges), with their type and labels. Kept
     * here, next to the generator, until they have a catalog of their own.
     */
    static final List<List<String>> OTHER_METRICS = List.of(
            List.of(
                    "`vigil_ingest_records_total`",
                    "counter",
                    "`stream` (predictions, ground_truth), `outcome` "
                            + "(accepted, dead_lettered, dropped), `reason`: received = accepted + dead_lettered + dropped per "
                            + "stream"),
            List.of(
                    "`vigil_failed_records_total`",
                    "counter",
                    "`stage` (processing, production, serialization), "
                            + "`outcome` (dead_lettered, dropped), `reason`: what the exception handlers did after ingest; "
                            + "counted in the process (starts at 0 with it)"),
            List.of(
                    "`vigil_slice_overflow_total`",
                    "counter",
                    "`dimension`: predictions counted under `other` "
                            + "because the dimension's cap was reached (alert `VigilSliceCapReached`)"),
            List.of(
                    "`vigil_slice_admission_timeouts_total`",
                    "counter",
                    "`dimension`: of those, predictions sent to "
                            + "`other` because no admission decision came within 5 minutes (the owner's task not running)"),
            List.of(
                    "`vigil_outcome_join_events_total`",
                    "counter",
                    "`event` (predictions_registered, labels_joined, "
                            + "labels_revised, labels_unmatched_expired, ...; predictions_repartitioned and "
                            + "labels_repartitioned: records not in their prediction id's join partition, which took "
                            + "the join's repartition topic)"),
            List.of(
                    "`vigil_alerts_active`",
                    "gauge",
                    "`rule`, `severity`, `model`, `version`, `slice`, "
                            + "`slice_value`, `incident` (the open incident the alert belongs to, `none` before one forms)"),
            List.of(
                    "`vigil_incidents_active`",
                    "gauge",
                    "`incident`, `severity`, `model`, `version`, `root`, " + "`root_value`: 1 per open incident"),
            List.of(
                    "`vigil_webhook_deliveries_total`",
                    "counter",
                    "`endpoint`, `outcome` (delivered, retried, " + "dropped, disabled)"),
            List.of("`vigil_webhook_pending`", "gauge", "`endpoint`"),
            List.of(
                    "`vigil_webhook_disabled`",
                    "gauge",
                    "`endpoint`: 1 once the receiver answered 410 Gone (alert " + "`VigilWebhookDisabled`)"),
            List.of(
                    "JVM, process and Kafka Streams",
                    "Micrometer binders",
                    "`jvm_*`, `process_*`, `kafka_stream_*`, " + "`kafka_consumer_*`, `kafka_producer_*`"));

    private static String defaultText(ConfigDef.ConfigKey key) {
        if (!key.hasDefault()) {
            return "*(required)*";
        }
        Object value = key.defaultValue;
        if (value == null) {
            return "*(none)*";
        }
        String text = value instanceof List<?> list
                ? String.join(",", list.stream().map(String::valueOf).toList())
                : String.valueOf(value);
        return text.isEmpty() ? "*(empty)*" : "`" + text + "`";
    }

    /** Text safe inside a markdown table cell: one line, pipes escaped. */
    private static String cell(String text) {
        return text == null ? "" : text.replace("\r", " ").replace("\n", " ").replace("|", "\\|");
    }

    /** The generated files, by repository-relative path. */
    public static Map<String, String> files() {
        return Map.of(CONFIGURATION_FILE, configurationMarkdown(), METRICS_FILE, metricsMarkdown());
    }

    /** Writes the generated files under the repository root given as the only argument (default {@code ..}). */
    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : "..");
        for (Map.Entry<String, String> file : files().entrySet()) {
            Path path = root.resolve(file.getKey());
            Files.createDirectories(path.getParent());
            Files.writeString(path, file.getValue());
            System.out.println("wrote " + path.toAbsolutePath().normalize());
        }
    }
}
