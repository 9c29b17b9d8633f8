package io.vigil.config;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Every Vigil setting, declared once with type, default, validation and documentation.
 *
 * <p>Values come, in rising precedence, from the defaults, a properties file, environment variables
 * (see {@link EnvironmentConfig}) and explicit overrides. Keys under {@value #KAFKA_PREFIX} pass
 * through, prefix removed, to every Kafka client and to Kafka Streams, so security settings such as
 * {@code kafka.security.protocol} need no declaration here. Construction fails fast with a
 * {@link ConfigException} naming the bad key and value.
 */
public final class VigilConfig extends AbstractConfig {

    /** Keys starting with this prefix are Kafka client / Streams settings, passed through. */
    public static final String KAFKA_PREFIX = "kafka.";

    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String APPLICATION_ID = "application.id";
    public static final String STATE_DIR = "state.dir";
    public static final String PROCESSING_GUARANTEE = "processing.guarantee";
    public static final String NUM_STREAM_THREADS = "num.stream.threads";
    public static final String NUM_STANDBY_REPLICAS = "num.standby.replicas";

    public static final String TOPIC_PREDICTIONS = "topic.predictions";
    public static final String TOPIC_GROUND_TRUTH = "topic.ground-truth";
    public static final String TOPIC_DEAD_LETTERS = "topic.dead-letters";
    public static final String TOPIC_SNAPSHOTS = "topic.snapshots";
    public static final String TOPIC_ALERTS = "topic.alerts";
    public static final String TOPIC_INCIDENTS = "topic.incidents";
    public static final String TOPIC_REFERENCES = "topic.references";
    public static final String TOPIC_PARTITIONS = "topic.partitions";
    public static final String TOPIC_REPLICATION = "topic.replication-factor";
    public static final String TOPIC_CREATE = "topic.create";
    public static final String TOPIC_INPUT_RETENTION_MS = "topic.input-retention-ms";

    public static final String INGEST_MAX_RECORD_BYTES = "ingest.max-record-bytes";
    public static final String INGEST_MAX_FUTURE_SKEW = "ingest.max-future-skew";

    public static final String SLICES_MAX_VALUES = "slices.max-values";
    public static final String SLICES_ATTRIBUTES = "slices.attributes";

    public static final String DRIFT_WINDOWS = "drift.windows";
    public static final String DRIFT_GRACE_DAYS = "drift.grace-days";
    public static final String DRIFT_ALPHA = "drift.alpha";
    public static final String DRIFT_FLUSH_INTERVAL_MS = "drift.flush-interval-ms";
    public static final String DRIFT_SNAPSHOT_INTERVAL_MS = "drift.snapshot-interval-ms";
    public static final String DRIFT_BASELINE_DAYS = "drift.baseline-days";
    public static final String DRIFT_BASELINE_MIN_PREDICTIONS = "drift.baseline-min-predictions";
    public static final String REFERENCE_BURN_IN_ENABLED = "reference.burn-in.enabled";
    public static final String REFERENCE_BURN_IN_PREDICTIONS = "reference.burn-in.predictions";
    public static final String REFERENCE_BURN_IN_DAYS = "reference.burn-in.days";
    public static final String ALERTS_ENABLED = "alerts.enabled";
    public static final String LOG_FORMAT = "log.format";
    public static final String ALERTS_RULES_FILE = "alerts.rules-file";
    public static final String ALERTS_FDR = "alerts.fdr";
    public static final String ALERTS_INCIDENT_MIN_SEVERITY = "alerts.incident-min-severity";
    public static final String ALERTS_EVALUATION_INTERVAL_MS = "alerts.evaluation-interval-ms";
    public static final String ALERTS_RESOLVED_RETENTION_MS = "alerts.resolved-retention-ms";
    public static final String ALERTS_WEBHOOKS = "alerts.webhooks";
    public static final String ALERTS_WEBHOOK_RETRY_HORIZON_MS = "alerts.webhook.retry-horizon-ms";
    public static final String ALERTS_WEBHOOK_RETRY_INITIAL_MS = "alerts.webhook.retry-initial-ms";
    public static final String ALERTS_WEBHOOK_RETRY_MAX_MS = "alerts.webhook.retry-max-ms";
    public static final String ALERTS_WEBHOOK_TIMEOUT_MS = "alerts.webhook.timeout-ms";
    /** Per-model claimed performance: {@code alerts.targets.<model>.<metric>} = a number. */
    public static final String ALERTS_TARGETS_PREFIX = "alerts.targets.";
    /** Per-endpoint settings: {@code alerts.webhook.<name>.(url|secret|secret-file|format)}. */
    public static final String ALERTS_WEBHOOK_PREFIX = "alerts.webhook.";

    private static final java.util.regex.Pattern ALERTS_DYNAMIC_KEY = java.util.regex.Pattern.compile(
            "alerts\\.targets\\..+\\.[a-z0-9_:-]+|alerts\\.webhook\\.[a-z0-9][a-z0-9_-]*\\.(url|secret|secret-file|format|events)");
    public static final String LABELS_MAX_DELAY_DAYS = "labels.max-delay-days";
    public static final String LABELS_ORPHAN_RETENTION_DAYS = "labels.orphan-retention-days";
    public static final String OUTCOMES_LABEL_WAIT = "outcomes.label-wait";
    public static final String OUTCOMES_JOIN_CO_PARTITIONED = "outcomes.join.co-partitioned";
    public static final String OUTCOMES_EXPIRY_SWEEP_BATCH = "outcomes.expiry-sweep-batch";
    public static final String OUTCOMES_WINDOWS = "outcomes.windows";
    public static final String OUTCOMES_MATURITY_COVERAGE = "outcomes.maturity-coverage";
    public static final String OUTCOMES_VERIFICATION_BIAS_RATIO = "outcomes.verification-bias-ratio";
    public static final String OUTCOMES_MIN_N = "outcomes.min-n";
    public static final String OUTCOMES_PATIENT_WISE = "outcomes.patient-wise";
    public static final String OUTCOMES_FLUSH_INTERVAL_MS = "outcomes.flush-interval-ms";
    public static final String OUTCOMES_SNAPSHOT_INTERVAL_MS = "outcomes.snapshot-interval-ms";

    public static final String ESTIMATION_ENABLED = "estimation.enabled";
    public static final String ESTIMATION_WINDOWS = "estimation.windows";
    public static final String STABILITY_ENABLED = "stability.enabled";
    public static final String STABILITY_SUBJECT_KEY_SECRET = "stability.subject-key-secret";
    public static final String STABILITY_REPEAT_INTERVAL_DAYS = "stability.repeat-interval-days";
    public static final String STABILITY_WINDOWS = "stability.windows";
    public static final String DETECTION_ARL0_DAYS = "detection.arl0-days";
    public static final String DETECTION_SHIFT = "detection.shift";
    public static final String DETECTION_HISTORY_DAYS = "detection.history-days";
    public static final String DETECTION_OUTCOME_CUSUM = "detection.outcome-cusum";
    public static final String DETECTION_OUTCOME_LABEL_AGE_DAYS = "detection.outcome-label-age-days";

    public static final String METRICS_DETAIL = "metrics.detail";
    public static final String METRICS_WINDOWS = "metrics.windows";
    public static final String HTTP_BIND = "http.bind";
    public static final String HTTP_PORT = "http.port";
    public static final String HTTP_EXTERNAL_URL = "http.external-url";
    public static final String HEALTH_STALL_TIMEOUT_MS = "health.stall-timeout-ms";
    public static final String HEALTH_STALL_EXIT_TIMEOUT_MS = "health.stall-exit-timeout-ms";
    public static final String HTTP_TLS_KEYSTORE = "http.tls.keystore";
    public static final String HTTP_TLS_KEYSTORE_PASSWORD = "http.tls.keystore-password";
    public static final String HTTP_AUTH_USERNAME = "http.auth.username";
    public static final String HTTP_AUTH_PASSWORD = "http.auth.password";

    public static final String HL7_BIND = "hl7.bind";
    public static final String HL7_PORT = "hl7.port";
    public static final String HL7_MAPPING_FILE = "hl7.mapping-file";

    public static final String FHIR_BIND = "fhir.bind";
    public static final String FHIR_PORT = "fhir.port";
    public static final String FHIR_MAPPING_FILE = "fhir.mapping-file";
    public static final String FHIR_MAX_BODY_BYTES = "fhir.max-body-bytes";
    public static final String FHIR_SOURCE_TOPIC = "fhir.source-topic";

    /** Every window list: {@code <days>d} entries, 1 to 366 days. */
    private static final ConfigDef.Validator WINDOWS_VALIDATOR = VigilConfig::validateWindows;

    static final ConfigDef DEF = new ConfigDef()
            .define(BOOTSTRAP_SERVERS, Type.LIST, Importance.HIGH, "Kafka bootstrap servers, host:port[,host:port...].")
            .define(
                    APPLICATION_ID,
                    Type.STRING,
                    "vigil",
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "Kafka Streams application id; instances with the same id share the work.")
            .define(
                    STATE_DIR,
                    Type.STRING,
                    "/var/lib/vigil",
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "Directory for local state stores (RocksDB). Holds PHI: protect like the input topics.")
            .define(
                    LOG_FORMAT,
                    Type.STRING,
                    "text",
                    ConfigDef.ValidString.in("text", "json"),
                    Importance.LOW,
                    "Console log format: text (ISO-8601 UTC timestamps) or json (one object per line: @timestamp,"
                            + " level, logger_name, thread_name, message, stack_trace and the failed record's"
                            + " kafka.topic/partition/offset; never a record's key or value). Takes effect from"
                            + " VIGIL_LOG_FORMAT or the --log-format option, which are read before anything logs;"
                            + " in a config file it is only checked.")
            .define(
                    PROCESSING_GUARANTEE,
                    Type.STRING,
                    StreamsConfig.EXACTLY_ONCE_V2,
                    ValidString.in(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE),
                    Importance.MEDIUM,
                    "Kafka Streams processing guarantee.")
            .define(
                    NUM_STREAM_THREADS,
                    Type.INT,
                    1,
                    Range.between(1, 64),
                    Importance.MEDIUM,
                    "Stream threads per instance.")
            .define(
                    NUM_STANDBY_REPLICAS,
                    Type.INT,
                    0,
                    Range.between(0, 8),
                    Importance.MEDIUM,
                    "Standby replicas of each state store on other instances, for fast failover.")
            .define(
                    TOPIC_PREDICTIONS,
                    Type.STRING,
                    "vigil.predictions",
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "Input topic of prediction events (schemas/prediction.schema.json).")
            .define(
                    TOPIC_GROUND_TRUTH,
                    Type.STRING,
                    "vigil.ground-truth",
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "Input topic of ground-truth events (schemas/ground_truth.schema.json).")
            .define(
                    TOPIC_DEAD_LETTERS,
                    Type.STRING,
                    "vigil.dead-letters",
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "Rejected input records with their reason and origin. Holds PHI.")
            .define(
                    TOPIC_SNAPSHOTS,
                    Type.STRING,
                    "vigil.metric-snapshots",
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "Compacted topic of metric snapshots (schemas/metric_snapshot.schema.json).")
            .define(
                    TOPIC_ALERTS,
                    Type.STRING,
                    "vigil.alerts",
                    new ConfigDef.NonEmptyString(),
                    Importance.MEDIUM,
                    "Compacted topic of alerts (schemas/alert.schema.json).")
            .define(
                    TOPIC_INCIDENTS,
                    Type.STRING,
                    "vigil.incidents",
                    new ConfigDef.NonEmptyString(),
                    Importance.MEDIUM,
                    "Compacted topic of incidents, alerts grouped by root cause " + "(schemas/incident.schema.json).")
            .define(
                    TOPIC_REFERENCES,
                    Type.STRING,
                    "vigil.references",
                    new ConfigDef.NonEmptyString(),
                    Importance.MEDIUM,
                    "Compacted topic of reference profiles, one per model version.")
            .define(
                    TOPIC_PARTITIONS,
                    Type.INT,
                    6,
                    Range.between(1, 10_000),
                    Importance.LOW,
                    "Partitions of topics Vigil creates when topic.create is true.")
            .define(
                    TOPIC_REPLICATION,
                    Type.SHORT,
                    (short) 1,
                    Range.between(1, 7),
                    Importance.LOW,
                    "Replication factor of topics Vigil creates when topic.create is true.")
            .define(
                    TOPIC_CREATE,
                    Type.BOOLEAN,
                    true,
                    Importance.LOW,
                    "Create missing topics at startup (needs the CREATE ACL).")
            .define(
                    TOPIC_INPUT_RETENTION_MS,
                    Type.LONG,
                    400L * 24 * 3600 * 1000,
                    Range.atLeast(-1),
                    Importance.LOW,
                    "retention.ms of input and dead-letter topics Vigil creates; longer than the label delay, "
                            + "since the broker ages records by their event-time timestamps.")
            .define(
                    INGEST_MAX_RECORD_BYTES,
                    Type.INT,
                    65_536,
                    Range.between(256, 16 * 1024 * 1024),
                    Importance.MEDIUM,
                    "Records larger than this are dead-lettered as oversized, unparsed.")
            .define(
                    INGEST_MAX_FUTURE_SKEW,
                    Type.LONG,
                    Duration.ofMinutes(5).toMillis(),
                    Range.atLeast(0),
                    Importance.MEDIUM,
                    "Milliseconds an event time may lie ahead of the wall clock before the "
                            + "record is dead-lettered as future_timestamp.")
            .define(
                    SLICES_MAX_VALUES,
                    Type.INT,
                    64,
                    Range.between(1, 10_000),
                    Importance.MEDIUM,
                    "Distinct values admitted per model version and slice dimension, cluster-wide (all tasks "
                            + "and instances); later ones count as 'other'. Raising it admits more values; lowering "
                            + "it keeps the values already admitted.")
            .define(
                    SLICES_ATTRIBUTES,
                    Type.LIST,
                    "",
                    Importance.LOW,
                    "Prediction attributes to slice by (each becomes dimension attr.<name>).")
            // Drift stage and reference profiles
            .define(
                    DRIFT_WINDOWS,
                    Type.LIST,
                    "1d,7d,30d",
                    WINDOWS_VALIDATOR,
                    Importance.MEDIUM,
                    "Rolling drift windows, each <days>d (1 to 366), merged from daily UTC buckets.")
            .define(
                    DRIFT_GRACE_DAYS,
                    Type.INT,
                    2,
                    Range.between(0, 366),
                    Importance.MEDIUM,
                    "A prediction whose UTC day is more than this many days before the latest day seen by its "
                            + "task is counted as late_records and not aggregated.")
            .define(
                    DRIFT_ALPHA,
                    Type.DOUBLE,
                    0.05,
                    Range.between(1e-9, 0.5),
                    Importance.LOW,
                    "Significance level of the KS drift decision (the critical value published as score_ks upper).")
            .define(
                    DRIFT_FLUSH_INTERVAL_MS,
                    Type.LONG,
                    1_000L,
                    Range.between(10, 3_600_000),
                    Importance.LOW,
                    "Wall-clock interval at which per-task partial drift aggregates are sent to their slice's owner.")
            .define(
                    DRIFT_SNAPSHOT_INTERVAL_MS,
                    Type.LONG,
                    5_000L,
                    Range.between(10, 86_400_000),
                    Importance.LOW,
                    "Wall-clock interval at which changed slices are compared with their reference and snapshotted "
                            + "(drift, label-free estimates, stability). With the flush interval and the commit "
                            + "interval it bounds how soon a prediction shows on /metrics: p99 8.2 s at the "
                            + "defaults under live load (docs/benchmarks.md); docs/operations.md has a "
                            + "low-latency setting.")
            .define(
                    DRIFT_BASELINE_DAYS,
                    Type.INT,
                    14,
                    Range.between(0, 366),
                    Importance.MEDIUM,
                    "Per-slice baselines: each slice's first N UTC days (from the first day it is seen) are kept "
                            + "permanently as its own baseline; drift metrics and the label-free CUSUMs compare the "
                            + "slice with it once the period is over (windows overlapping it are not tested). The all "
                            + "slice uses a published vendor profile when there is one. 0 = every slice against the "
                            + "model version's reference profile.")
            .define(
                    DRIFT_BASELINE_MIN_PREDICTIONS,
                    Type.LONG,
                    200L,
                    Range.atLeast(1),
                    Importance.LOW,
                    "Minimum predictions in a complete per-slice baseline for it to be used; a smaller one falls "
                            + "back to the model version's reference profile.")
            .define(
                    REFERENCE_BURN_IN_ENABLED,
                    Type.BOOLEAN,
                    true,
                    Importance.MEDIUM,
                    "Learn a reference from the burn-in period for model versions that have none; when false, only "
                            + "published profiles (vigil reference build) are used.")
            .define(
                    REFERENCE_BURN_IN_PREDICTIONS,
                    Type.LONG,
                    2_000L,
                    Range.atLeast(1),
                    Importance.MEDIUM,
                    "Burn-in: minimum predictions of a model version before its reference is learned.")
            .define(
                    REFERENCE_BURN_IN_DAYS,
                    Type.INT,
                    14,
                    Range.between(1, 366),
                    Importance.MEDIUM,
                    "Burn-in: minimum UTC days (first to latest, inclusive) before the reference is learned; the "
                            + "later of this and the prediction count applies.")
            .define(
                    ALERTS_ENABLED,
                    Type.BOOLEAN,
                    true,
                    Importance.MEDIUM,
                    "Evaluate alert rules over the metric snapshots and deliver alerts to the configured webhooks.")
            .define(
                    ALERTS_RULES_FILE,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "JSON file of alert rules replacing the shipped defaults (alert-rules.json); empty = defaults.")
            .define(
                    ALERTS_FDR,
                    Type.DOUBLE,
                    0.05,
                    Range.between(1e-6, 0.5),
                    Importance.MEDIUM,
                    "False-alarm budget: false discovery rate q of the Benjamini-Hochberg procedure applied to "
                            + "all p-value rules of one evaluation round, across every slice and metric.")
            .define(
                    ALERTS_INCIDENT_MIN_SEVERITY,
                    Type.STRING,
                    "warning",
                    ConfigDef.ValidString.in("info", "warning", "critical"),
                    Importance.MEDIUM,
                    "Least severity that opens an incident: alerts below it join the incident whose root explains "
                            + "them and otherwise stay alerts (on /api/alerts, the page and the alert webhooks).")
            .define(
                    ALERTS_EVALUATION_INTERVAL_MS,
                    Type.LONG,
                    10_000L,
                    Range.between(100, 86_400_000L),
                    Importance.LOW,
                    "Milliseconds between alert evaluation rounds (wall clock).")
            .define(
                    ALERTS_RESOLVED_RETENTION_MS,
                    Type.LONG,
                    24L * 3600 * 1000,
                    Range.atLeast(0),
                    Importance.LOW,
                    "How long /api/alerts lists an alert after it resolved, in milliseconds.")
            .define(
                    ALERTS_WEBHOOKS,
                    Type.LIST,
                    "",
                    Importance.MEDIUM,
                    "Names of webhook endpoints; each needs alerts.webhook.<name>.url and a secret "
                            + "(alerts.webhook.<name>.secret or .secret-file, whsec_ + base64, comma-separated "
                            + "for rotation) and may set .format (vigil or alertmanager) and .events (alerts, the "
                            + "default, or incidents: one request per incident transition).")
            .define(
                    ALERTS_WEBHOOK_RETRY_HORIZON_MS,
                    Type.LONG,
                    24L * 3600 * 1000,
                    Range.atLeast(0),
                    Importance.LOW,
                    "Milliseconds after an alert was written during which its delivery is retried; then it is "
                            + "dropped (counted).")
            .define(
                    ALERTS_WEBHOOK_RETRY_INITIAL_MS,
                    Type.LONG,
                    1_000L,
                    Range.atLeast(1),
                    Importance.LOW,
                    "Cap of the first retry delay in milliseconds; the cap doubles per attempt (full jitter).")
            .define(
                    ALERTS_WEBHOOK_RETRY_MAX_MS,
                    Type.LONG,
                    3_600_000L,
                    Range.atLeast(1),
                    Importance.LOW,
                    "Largest retry delay in milliseconds (a Retry-After header may ask for longer, up to the horizon).")
            .define(
                    ALERTS_WEBHOOK_TIMEOUT_MS,
                    Type.LONG,
                    10_000L,
                    Range.between(100, 600_000L),
                    Importance.LOW,
                    "Connect and response timeout of one webhook request, in milliseconds.")
            // Outcomes: the label join, labelled performance and calibration (topology.Performance)
            .define(
                    LABELS_MAX_DELAY_DAYS,
                    Type.INT,
                    180,
                    Range.between(1, 3650),
                    Importance.MEDIUM,
                    "Days after its event time a prediction waits (on disk) for its label; later labels are "
                            + "dead-lettered as label_after_max_delay. Cohorts older than this are final.")
            .define(
                    LABELS_ORPHAN_RETENTION_DAYS,
                    Type.INT,
                    30,
                    Range.between(1, 3650),
                    Importance.MEDIUM,
                    "Days (event time) the ids of expired predictions are remembered, so that a label for one is "
                            + "dead-lettered at once as label_after_max_delay.")
            .define(
                    OUTCOMES_LABEL_WAIT,
                    Type.STRING,
                    "P30D",
                    (name, value) -> {
                        try {
                            if (Duration.parse(value.toString()).isNegative()) {
                                throw new ConfigException(name, value, "must not be negative");
                            }
                        } catch (java.time.format.DateTimeParseException e) {
                            throw new ConfigException(name, value, "an ISO-8601 duration such as P30D or PT15M");
                        }
                    },
                    Importance.MEDIUM,
                    "Wall-clock time (ISO-8601) a label that arrives before its prediction waits for it before it "
                            + "is dead-lettered as unmatched_label, and a prediction whose event-time window "
                            + "(labels.max-delay-days) has closed still waits for its label. Measured on the wall "
                            + "clock, not event time, so no arrival order within it changes which labels join.")
            .define(
                    OUTCOMES_EXPIRY_SWEEP_BATCH,
                    Type.INT,
                    200_000,
                    Range.between(1, 10_000_000),
                    Importance.LOW,
                    "Most records the outcome join's expiry sweep reads in one wall-clock punctuation (predictions "
                            + "awaiting their labels, then ids of expired predictions); the next punctuation goes on "
                            + "where it stopped. Smaller keeps each punctuation, and the transaction it runs in, "
                            + "shorter on a slow disk; larger finishes a pass over millions of predictions sooner.")
            .define(
                    OUTCOMES_JOIN_CO_PARTITIONED,
                    Type.BOOLEAN,
                    true,
                    Importance.LOW,
                    "When true, a record already in the partition of its prediction_id (murmur2 of the id modulo the larger input topic's partition count: where Kafka's default partitioner puts a record keyed by prediction_id) is joined with its other half where it is; any other record (another key, no key, another partitioner, unequal partition counts) goes through the outcome-join-by-prediction repartition topic first, one more write and read, and is counted (vigil_outcome_join_events_total{event=~\".*_repartitioned\"}). Correct whatever the producers do; fastest when both topics are keyed by prediction_id with Kafka's default partitioner (librdkafka and kcat: partitioner=murmur2_random) and have equal partition counts (`vigil doctor` checks both). When false, every record takes the repartition topic.")
            .define(
                    OUTCOMES_WINDOWS,
                    Type.LIST,
                    "7d,30d,90d",
                    WINDOWS_VALIDATOR,
                    Importance.MEDIUM,
                    "Rolling windows of prediction-day cohorts, each <days>d, ending at the latest cohort day.")
            .define(
                    OUTCOMES_MATURITY_COVERAGE,
                    Type.DOUBLE,
                    0.8,
                    Range.between(0.0, 1.0),
                    Importance.MEDIUM,
                    "Label coverage (labelled / predicted) at which a window's metrics become final.")
            .define(
                    OUTCOMES_PATIENT_WISE,
                    Type.BOOLEAN,
                    true,
                    Importance.MEDIUM,
                    "Patient-wise intervals: when predictions carry a subject_key and "
                            + "stability.subject-key-secret is set, repeat labelled studies of one subject are paired "
                            + "(by the HMAC of the key, never the key) and the intervals of sensitivity, specificity, "
                            + "ppv, npv, prevalence, brier, oe_ratio and auc count their within-subject correlation. "
                            + "Without the secret, intervals assume independent studies.")
            .define(
                    OUTCOMES_VERIFICATION_BIAS_RATIO,
                    Type.DOUBLE,
                    0.5,
                    Range.between(0.0, 1.0),
                    Importance.LOW,
                    "verification_bias is 1 when coverage among predicted negatives is below this times the "
                            + "coverage among predicted positives.")
            .define(
                    OUTCOMES_MIN_N,
                    Type.INT,
                    50,
                    Range.between(1, 1_000_000),
                    Importance.MEDIUM,
                    "Minimum n below which a labelled metric is published as insufficient_n (no value, no alert "
                            + "evidence): labelled positives for sensitivity, negatives for specificity, labelled "
                            + "predicted positives for ppv, predicted negatives for npv, min(positives, negatives) for "
                            + "auc and for ppv/npv_at_reference_prevalence, labelled cases for calibration metrics and "
                            + "prevalence_shift. Also the minimum for a slice to compete "
                            + "as worst slice, and per predicted class for verification_bias.")
            .define(
                    OUTCOMES_FLUSH_INTERVAL_MS,
                    Type.LONG,
                    1_000L,
                    Range.between(10, 3_600_000),
                    Importance.LOW,
                    "Milliseconds (wall clock) between flushes of per-task partial outcome aggregates.")
            .define(
                    OUTCOMES_SNAPSHOT_INTERVAL_MS,
                    Type.LONG,
                    5_000L,
                    Range.between(10, 3_600_000),
                    Importance.LOW,
                    "Milliseconds (wall clock) between performance snapshots of changed slices. With the flush "
                            + "interval and the commit interval it bounds how soon a label shows on /metrics: p99 "
                            + "7.9 s at the defaults under live load (docs/benchmarks.md).")
            // Early warning: label-free estimation, temporal stability, sequential change detection
            .define(
                    ESTIMATION_ENABLED,
                    Type.BOOLEAN,
                    true,
                    Importance.MEDIUM,
                    "Estimate sensitivity, specificity, PPV, NPV and AUC without labels (CBPE) for model versions "
                            + "whose reference profile has labelled bins, and run the CUSUMs on positive rate and mean score.")
            .define(
                    ESTIMATION_WINDOWS,
                    Type.LIST,
                    "7d,30d",
                    WINDOWS_VALIDATOR,
                    Importance.MEDIUM,
                    "Rolling windows of the label-free estimates, each <days>d, merged from daily UTC buckets.")
            .define(
                    STABILITY_ENABLED,
                    Type.BOOLEAN,
                    false,
                    Importance.MEDIUM,
                    "Pair repeat predictions of one pseudonymous subject (flip rate, score change); requires "
                            + STABILITY_SUBJECT_KEY_SECRET + ".")
            .define(
                    STABILITY_SUBJECT_KEY_SECRET,
                    Type.PASSWORD,
                    null,
                    Importance.HIGH,
                    "HMAC-SHA256 key (at least 16 characters) applied to subject_key before it reaches a topic or "
                            + "store. Required when " + STABILITY_ENABLED + " is true; when set, "
                            + OUTCOMES_PATIENT_WISE + " also pairs repeat studies of one subject for patient-wise "
                            + "intervals. Keep it stable, or repeats across the change are not recognised.")
            .define(
                    STABILITY_REPEAT_INTERVAL_DAYS,
                    Type.INT,
                    30,
                    Range.between(1, 366),
                    Importance.MEDIUM,
                    "A prediction of the same subject and model version within this many days of the last one "
                            + "forms a repeat pair; the last prediction expires after it.")
            .define(
                    STABILITY_WINDOWS,
                    Type.LIST,
                    "7d,30d",
                    WINDOWS_VALIDATOR,
                    Importance.LOW,
                    "Rolling windows of flip rate and score-change quantiles, each <days>d.")
            .define(
                    DETECTION_ARL0_DAYS,
                    Type.DOUBLE,
                    3_650.0,
                    Range.between(2.0, 100_000.0),
                    Importance.MEDIUM,
                    "In-control average run length of each CUSUM, in days, per series and slice: with N watched "
                            + "series, about one false alarm per arl0-days / N days across them.")
            .define(
                    DETECTION_SHIFT,
                    Type.DOUBLE,
                    1.0,
                    Range.between(0.05, 10.0),
                    Importance.LOW,
                    "Shift the CUSUMs are tuned to detect, in standard deviations of the daily standardised statistic.")
            .define(
                    DETECTION_OUTCOME_CUSUM,
                    Type.BOOLEAN,
                    true,
                    Importance.LOW,
                    "Run the labelled-outcome CUSUM (cusum:observed_expected) per slice, on the cohorts at least "
                            + "detection.outcome-label-age-days old, each read at that label age (docs/statistics.md). "
                            + "Off: no labelled-outcome CUSUM; the calibration metrics and rules still run.")
            .define(
                    DETECTION_OUTCOME_LABEL_AGE_DAYS,
                    Type.INT,
                    14,
                    Range.between(1, 366),
                    Importance.LOW,
                    "The labelled-outcome CUSUM reads every cohort at this label age: a cohort steps once it is this "
                            + "many days old, on the cases whose first label was observed within this many days of the "
                            + "prediction, against older cohorts read at the same age. Labels that arrive later, or "
                            + "positives verified sooner than negatives, then change neither a step once taken nor "
                            + "the comparison (docs/statistics.md). Longer: more labels per step, later alarms.")
            .define(
                    DETECTION_HISTORY_DAYS,
                    Type.INT,
                    60,
                    Range.between(7, 366),
                    Importance.LOW,
                    "Days of daily buckets the CUSUMs run over (recomputed from the start of this history each round).")
            .define(
                    METRICS_DETAIL,
                    Type.BOOLEAN,
                    false,
                    Importance.MEDIUM,
                    "Export every snapshot series on /metrics. Off (the default), /metrics carries the decision "
                            + "families (those the shipped rules and overview dashboards read) at metrics.windows, "
                            + "with n and p-value companions only for metrics a configured rule reads: at most 200 "
                            + "series per slice (docs/scaling.md). Reliability bins, quantiles, Brier terms, per-feature "
                            + "detail and worst-slice rankings stay on /api and the snapshots topic either way.")
            .define(
                    METRICS_WINDOWS,
                    Type.LIST,
                    "7d,30d",
                    WINDOWS_VALIDATOR,
                    Importance.LOW,
                    "Windows exported on /metrics while metrics.detail is off (the shipped rules read 7d and 30d); "
                            + "the CUSUM families are exported whatever their window. Every window stays on /api.")
            .define(
                    HTTP_BIND,
                    Type.STRING,
                    "127.0.0.1",
                    new ConfigDef.NonEmptyString(),
                    Importance.MEDIUM,
                    "Address the HTTP server (/metrics, /health, /api) binds to.")
            .define(
                    HTTP_PORT,
                    Type.INT,
                    8080,
                    Range.between(0, 65_535),
                    Importance.MEDIUM,
                    "Port of the HTTP server; 0 picks a free port.")
            .define(
                    HTTP_EXTERNAL_URL,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "URL at which people reach this Vigil (through a proxy or an ingress), e.g. "
                            + "https://vigil.hospital.example; it fills externalURL, generatorURL and runbook_url "
                            + "of Alertmanager-format webhook bodies. Empty = the address the server is bound to.")
            .define(
                    HEALTH_STALL_TIMEOUT_MS,
                    Type.LONG,
                    180_000L,
                    Range.atLeast(1_000),
                    Importance.MEDIUM,
                    "/health/ready answers 503 once input records have waited this long while the committed input "
                            + "offsets stood still (processing stuck; idle input is never stuck).")
            .define(
                    HEALTH_STALL_EXIT_TIMEOUT_MS,
                    Type.LONG,
                    900_000L,
                    Range.atLeast(1_000),
                    Importance.MEDIUM,
                    "vigil run exits 1, saying why, once processing has been stuck this long, so that its supervisor "
                            + "restarts it.")
            .define(
                    HTTP_TLS_KEYSTORE,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "PKCS12 keystore with the HTTP server's key and certificate; when set the server speaks HTTPS "
                            + "only. Empty = plain HTTP.")
            .define(
                    HTTP_TLS_KEYSTORE_PASSWORD,
                    Type.PASSWORD,
                    null,
                    Importance.MEDIUM,
                    "Password of http.tls.keystore (and of its key).")
            .define(
                    HTTP_AUTH_USERNAME,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "When set (with http.auth.password), every route except /health/live and /health/ready "
                            + "requires HTTP Basic authentication. Use with TLS.")
            .define(HTTP_AUTH_PASSWORD, Type.PASSWORD, null, Importance.MEDIUM, "Password for http.auth.username.")
            .define(
                    HL7_BIND,
                    Type.STRING,
                    "127.0.0.1",
                    new ConfigDef.NonEmptyString(),
                    Importance.MEDIUM,
                    "Address the MLLP listener of vigil ingest hl7 binds to; set the interface the hospital's "
                            + "interface engine reaches (MLLP is plain TCP: keep it on a protected network).")
            .define(
                    HL7_PORT,
                    Type.INT,
                    2575,
                    Range.between(0, 65_535),
                    Importance.MEDIUM,
                    "Port of the MLLP listener of vigil ingest hl7 (2575 is HL7's registered port); 0 picks a free "
                            + "port.")
            .define(
                    HL7_MAPPING_FILE,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "JSON file mapping ORU^R01 fields to ground truth (docs/adapters.md); empty = the built-in "
                            + "default mapping.")
            .define(
                    FHIR_BIND,
                    Type.STRING,
                    "127.0.0.1",
                    new ConfigDef.NonEmptyString(),
                    Importance.MEDIUM,
                    "Address the FHIR R4 HTTP endpoint of vigil ingest fhir binds to; set the interface the "
                            + "hospital's interface engine reaches (plain HTTP: keep it on a protected network or "
                            + "behind a TLS proxy).")
            .define(
                    FHIR_PORT,
                    Type.INT,
                    8082,
                    Range.between(0, 65_535),
                    Importance.MEDIUM,
                    "Port of the FHIR R4 HTTP endpoint of vigil ingest fhir (POST /fhir, /fhir/DiagnosticReport, "
                            + "/fhir/Observation); 0 picks a free port.")
            .define(
                    FHIR_MAPPING_FILE,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "JSON file mapping DiagnosticReport/Observation elements to ground truth (docs/adapters.md); "
                            + "empty = the built-in default mapping.")
            .define(
                    FHIR_MAX_BODY_BYTES,
                    Type.INT,
                    1_048_576,
                    Range.between(1_024, 16 * 1024 * 1024),
                    Importance.LOW,
                    "Largest request body the FHIR endpoint reads; a larger one is answered 413.")
            .define(
                    FHIR_SOURCE_TOPIC,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "When set, vigil ingest fhir also consumes FHIR R4 JSON resources and Bundles from this "
                            + "topic (consumer group <application.id>-ingest-fhir) and maps them like POSTed ones; "
                            + "empty = HTTP only.");

    public VigilConfig(Map<String, ?> values) {
        // Unknown keys first: a typo in a key is the likelier cause of any "missing required setting" after it.
        super(DEF, validateKeys(values), false);
        validateStability();
        validateHttpAuth();
    }

    private void validateHttpAuth() {
        boolean user = !getString(HTTP_AUTH_USERNAME).isEmpty();
        org.apache.kafka.common.config.types.Password password = getPassword(HTTP_AUTH_PASSWORD);
        boolean pass = password != null && !password.value().isEmpty();
        if (user && !pass) {
            throw new ConfigException(HTTP_AUTH_PASSWORD, null, "required when " + HTTP_AUTH_USERNAME + " is set");
        }
        if (pass && !user) {
            throw new ConfigException(HTTP_AUTH_USERNAME, null, "required when " + HTTP_AUTH_PASSWORD + " is set");
        }
    }

    /**
     * The subject-key secret when patient-wise intervals are on and the secret is set, else null (then intervals
     * assume independent studies).
     */
    public String patientWiseSecret() {
        org.apache.kafka.common.config.types.Password secret = getPassword(STABILITY_SUBJECT_KEY_SECRET);
        return getBoolean(OUTCOMES_PATIENT_WISE) && secret != null ? secret.value() : null;
    }

    private void validateStability() {
        org.apache.kafka.common.config.types.Password set = getPassword(STABILITY_SUBJECT_KEY_SECRET);
        if (set != null && set.value().length() < 16) {
            throw new ConfigException(STABILITY_SUBJECT_KEY_SECRET, "(set)", "a secret needs at least 16 characters");
        }
        if (!getBoolean(STABILITY_ENABLED)) {
            return;
        }
        org.apache.kafka.common.config.types.Password secret = getPassword(STABILITY_SUBJECT_KEY_SECRET);
        if (secret == null || secret.value().length() < 16) {
            throw new ConfigException(
                    STABILITY_SUBJECT_KEY_SECRET,
                    secret == null ? null : "(set)",
                    "a secret of at least 16 characters is required when " + STABILITY_ENABLED + " is true");
        }
    }

    /** The declared settings, for documentation (docs/configuration.md is generated from this by ReferenceDocs). */
    public static ConfigDef definition() {
        return DEF;
    }

    /**
     * Unknown keys are a typo waiting to bite in production: fail fast, naming the key and the nearest
     * declared one.
     *
     * @return {@code values}, unchanged
     */
    private static Map<String, ?> validateKeys(Map<String, ?> values) {
        for (String key : values.keySet()) {
            if (!DEF.names().contains(key)
                    && !key.startsWith(KAFKA_PREFIX)
                    && !ALERTS_DYNAMIC_KEY.matcher(key).matches()) {
                String hint = NearestName.of(key, new java.util.TreeSet<>(DEF.names()))
                        .map(k -> "Did you mean '" + k + "'? ")
                        .orElse("");
                throw new ConfigException(
                        key,
                        values.get(key) == null ? null : "(set)",
                        "Unknown setting. " + hint + "Known settings are listed in docs/configuration.md; Kafka "
                                + "client settings take the prefix '" + KAFKA_PREFIX + "'.");
            }
        }
        return values;
    }

    /** Window lengths in days from {@value #DRIFT_WINDOWS} entries such as {@code 7d}. */
    public static java.util.List<Integer> windowDays(java.util.List<String> windows) {
        return windows.stream()
                .map(w -> Integer.parseInt(w.strip().substring(0, w.strip().length() - 1)))
                .toList();
    }

    private static void validateWindows(String name, Object value) {
        @SuppressWarnings("unchecked")
        java.util.List<String> windows = (java.util.List<String>) value;
        if (windows == null || windows.isEmpty()) {
            throw new ConfigException(name, value, "at least one window is required, e.g. 1d,7d,30d");
        }
        for (String w : windows) {
            if (!w.strip().matches("[1-9][0-9]{0,2}d")
                    || Integer.parseInt(w.strip().replace("d", "")) > 366) {
                throw new ConfigException(name, value, "each window must be <days>d with 1 to 366 days, e.g. 7d");
            }
        }
    }

    /** Settings not declared in {@link #definition()} but accepted by pattern (alert targets, webhook endpoints). */
    public Map<String, String> dynamicAlertSettings() {
        Map<String, String> out = new TreeMap<>();
        originals().forEach((k, v) -> {
            if (v != null
                    && ALERTS_DYNAMIC_KEY.matcher(k).matches()
                    && !DEF.names().contains(k)) {
                out.put(k, v.toString());
            }
        });
        return out;
    }

    /** {@link #OUTCOMES_WINDOWS} as days. */
    public java.util.List<Integer> outcomeWindowDays() {
        return windowDays(getList(OUTCOMES_WINDOWS));
    }

    public Duration labelWait() {
        return Duration.parse(getString(OUTCOMES_LABEL_WAIT));
    }

    public Duration maxFutureSkew() {
        return Duration.ofMillis(getLong(INGEST_MAX_FUTURE_SKEW));
    }

    /** Kafka client settings given with the {@value #KAFKA_PREFIX} prefix, prefix removed. */
    public Map<String, Object> kafkaClientSettings() {
        Map<String, Object> out = new TreeMap<>();
        originals().forEach((k, v) -> {
            if (k.startsWith(KAFKA_PREFIX)) {
                out.put(k.substring(KAFKA_PREFIX.length()), v);
            }
        });
        out.put("bootstrap.servers", String.join(",", getList(BOOTSTRAP_SERVERS)));
        return out;
    }

    /** Settings for Kafka Streams: the pass-through client settings plus the declared ones. */
    public Properties streamsProperties() {
        Properties p = new Properties();
        // Under exactly_once_v2 Kafka Streams commits every 100 ms; every commit serialises each dirty
        // heap aggregate whole into its changelog, so commit once a second unless told otherwise. (5 s
        // was tried: no measurable throughput gain on the 2-core benchmark machine, and each exactly-once
        // hop a label crosses waits for a commit, so it would add seconds to label-to-/metrics latency.)
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
        // Streams lowers transaction.timeout.ms to 10 s under exactly-once; that breaks exactly-once across a
        // broker outage longer than the timeout. The restarted broker's transaction coordinator then aborts the
        // stream thread's open transaction while the broker is still starting, before the partitions the
        // transaction wrote to have a leader again, and Kafka 4.3.1 takes leaderless partitions for deleted
        // ones: it skips their abort markers yet completes the abort (TransactionMarkerChannelManager,
        // "Couldn't find leader endpoint ... likely deleted already and hence can be skipped"). The aborted
        // records stay open in those partitions and the thread's next commit there (same producer id, new
        // epoch) commits them: read_committed readers, Vigil's own downstream tasks included, get them as well
        // as their reprocessed copies (dead letters and join inputs twice; BrokerHardRestartIT). Besides, a
        // commit racing that abort can be answered with the fatal INVALID_TXN_STATE instead of PRODUCER_FENCED
        // (KAFKA-20785): the thread dies and its replacement waits out the dead member's session timeout. Kafka's
        // producer default, 60 s, rides out a broker restart; keep kafka.transaction.timeout.ms longer than any
        // broker outage (restart plus log recovery). The cost: read_committed readers of an instance that dies
        // for good mid-transaction wait up to that long.
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000);
        // The stream threads' producers write one record per prediction into the outcome join's changelogs
        // (plus labels, partials, snapshots): at the producer's 16 KB default a partition's batch fills every
        // ~45 predictions, and the thread spends its time waiting for room among many small in-flight batches
        // while the broker handles many small requests. 256 KB batches and lz4 made a 1M-prediction replay
        // 1.5x faster on the 2-core benchmark machine (docs/benchmarks.md). A batch's buffer is taken whole from
        // buffer.memory, one per partition written between sends: 64 MB leaves room for 256 partitions per
        // stream thread. kafka.batch.size, kafka.compression.type and kafka.buffer.memory override these.
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, RocksDbCompression.class);
        // Kafka Streams' default (0) makes a task that reads several partitions check, before every record,
        // whether an empty one has data still to fetch, and Kafka Streams 4.3 formats a log message for each
        // empty partition at every check. The outcome join's task always has one partition that is empty when
        // producers key by prediction_id (its repartition topic's): a 1M-prediction replay took 81 µs of CPU per
        // event (median of 9 runs) instead of 58 (docs/benchmarks.md, 2026-12-05). Waiting only serves timestamp order
        // across
        // partitions, which nothing in Vigil relies on: the join does not depend on arrival order
        // (OutcomeJoinOrderTest, OutcomeChaosIT) and each stage keeps its own event-time clock.
        // kafka.max.task.idle.ms overrides it.
        p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
        p.putAll(kafkaClientSettings());
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, getString(APPLICATION_ID));
        p.put(StreamsConfig.STATE_DIR_CONFIG, getString(STATE_DIR));
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, getString(PROCESSING_GUARANTEE));
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, getInt(NUM_STREAM_THREADS));
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, getInt(NUM_STANDBY_REPLICAS));
        p.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        return p;
    }

    /** Below this a broker restart can outlast the stream threads' transactions (see {@link #streamsProperties()}). */
    public static final long SAFE_TRANSACTION_TIMEOUT_MS = 60_000;

    /**
     * Why the configured transaction timeout is unsafe, if it is: under exactly-once, a
     * {@code transaction.timeout.ms} (or {@code producer.transaction.timeout.ms}) below
     * {@value #SAFE_TRANSACTION_TIMEOUT_MS} ms lets a broker outage outlast an open transaction, which a
     * Kafka 4.3.1 broker may then abort without its markers: its records are counted twice.
     */
    public java.util.Optional<String> transactionTimeoutWarning() {
        Properties p = streamsProperties();
        if (!StreamsConfig.EXACTLY_ONCE_V2.equals(p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG))) {
            return java.util.Optional.empty();
        }
        Object value = p.getOrDefault(
                StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
                p.get(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG));
        long ms = Long.parseLong(String.valueOf(value).trim());
        if (ms >= SAFE_TRANSACTION_TIMEOUT_MS) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of("transaction.timeout.ms = " + ms + " ms is shorter than a broker restart may"
                + " take: a restarting Kafka 4.3.1 broker can abort a stream thread's timed-out transaction without"
                + " writing its abort markers (its partitions have no leader yet), and the records of that"
                + " transaction are then committed with the thread's next transaction and counted twice. Use at"
                + " least " + SAFE_TRANSACTION_TIMEOUT_MS + " ms (the default), longer than any broker outage.");
    }

    /** A copy with some values replaced; used by the demo and tests. */
    public VigilConfig with(Map<String, ?> overrides) {
        Map<String, Object> merged = new HashMap<>(originals());
        merged.putAll(overrides);
        return new VigilConfig(merged);
    }
}
