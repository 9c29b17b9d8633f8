package io.vigil.app;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vigil.alerts.ActiveAlerts;
import io.vigil.alerts.AlertEvaluator;
import io.vigil.alerts.AlertRule;
import io.vigil.alerts.AlertSettings;
import io.vigil.alerts.OpenIncidents;
import io.vigil.alerts.PipelineProbe;
import io.vigil.alerts.WebhookEndpoint;
import io.vigil.alerts.WebhookSender;
import io.vigil.config.VigilConfig;
import io.vigil.deadletters.DeadLetterLimit;
import io.vigil.deadletters.DeadLetteringHandlers;
import io.vigil.deadletters.FailedRecords;
import io.vigil.events.Alert;
import io.vigil.events.EventValidator;
import io.vigil.events.Incident;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.Reason;
import io.vigil.http.HttpServerRunner;
import io.vigil.http.LocalTasks;
import io.vigil.http.Runbooks;
import io.vigil.http.SnapshotHistory;
import io.vigil.http.StatusApi;
import io.vigil.metrics.DerivedMetrics;
import io.vigil.metrics.FailedRecordsMetrics;
import io.vigil.metrics.IngestMetrics;
import io.vigil.metrics.KafkaStoreTags;
import io.vigil.metrics.OutcomeJoinMetrics;
import io.vigil.metrics.PrometheusExport;
import io.vigil.metrics.SliceOverflowMetrics;
import io.vigil.metrics.SnapshotCollector;
import io.vigil.topics.JoinPartitions;
import io.vigil.topics.MetricSnapshots;
import io.vigil.topics.Topics;
import io.vigil.topology.VigilTopology;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running monitor: topology, Kafka Streams, metrics and HTTP, wired from one config.
 * {@link #start()} returns once everything is started; {@link #close()} stops it all within a timeout.
 */
public final class Monitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Monitor.class);

    /** How often the status API copies the latest snapshots into its history. */
    private static final Duration STATUS_HISTORY_INTERVAL = Duration.ofSeconds(2);

    private final VigilConfig config;
    private final Topics topics;
    private final KafkaStreams streams;
    private final PrometheusMeterRegistry registry;
    private final KafkaStreamsMetrics streamsMetrics;
    private final HttpServerRunner http;
    private final IngestMetrics ingestMetrics;
    private final AlertSettings alertSettings;
    private final ActiveAlerts activeAlerts;
    private final OpenIncidents openIncidents;
    private final List<WebhookSender> webhookSenders = new ArrayList<>();
    private volatile PipelineProbe pipelineProbe;
    private final OutcomeJoinMetrics outcomeJoinMetrics;
    private final SliceOverflowMetrics sliceOverflowMetrics;
    private final StatusApi statusApi;
    /** What the exception handlers did; the dead-letter topic's record limit, read at start. */
    private final FailedRecords failedRecords = new FailedRecords();

    private final DeadLetterLimit deadLetterLimit = DeadLetterLimit.kafkaDefaults();
    /** The outcome join's partition count, read at start (until then every record takes its repartition topic). */
    private final JoinPartitions joinPartitions = JoinPartitions.unknown();
    /** Committed input offsets against waiting input, sampled every {@link #PROGRESS_INTERVAL}. */
    private final StallDetector stall;

    private final Duration stallExit;
    private java.util.concurrent.ScheduledExecutorService progressSampler;
    private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(10);
    /** Where the status page and API get active alerts: the alert evaluator's, unless replaced. */
    private volatile Supplier<List<Alert>> alertSource;

    public Monitor(VigilConfig config) throws IOException {
        this.config = config;
        HttpServerRunner.Security httpSecurity =
                HttpServerRunner.Security.from(config).check();
        this.topics = Topics.from(config);
        this.stall = new StallDetector(Duration.ofMillis(config.getLong(VigilConfig.HEALTH_STALL_TIMEOUT_MS)));
        this.stallExit = Duration.ofMillis(config.getLong(VigilConfig.HEALTH_STALL_EXIT_TIMEOUT_MS));
        EventValidator validator =
                new EventValidator(config.getInt(VigilConfig.INGEST_MAX_RECORD_BYTES), config.maxFutureSkew());
        alertSettings = AlertSettings.from(config);
        Topology topology = VigilTopology.build(
                config,
                topics,
                validator,
                () -> {
                    PipelineProbe probe = pipelineProbe;
                    return probe == null ? List.of() : probe.get();
                },
                deadLetterLimit,
                joinPartitions);
        // The full description is pages long: at DEBUG, so that a startup problem (Kafka unreachable, say)
        // is the first thing an operator reads.
        LOG.debug("Topology:\n{}", topology.describe());

        Properties props = config.streamsProperties();
        config.transactionTimeoutWarning().ifPresent(LOG::warn);
        // No record can stop a stream: a processor that throws, an output or a dead letter the broker refuses
        // go through Kafka Streams' handler chain (KIP-1033/1034) to the dead-letter topic, truncated to
        // what it takes, or are dropped and counted (DeadLetteringHandlers).
        props.putIfAbsent(
                StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
                DeadLetteringHandlers.Processing.class.getName());
        props.putIfAbsent(
                StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
                DeadLetteringHandlers.Production.class.getName());
        props.putIfAbsent(
                StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
                topics.deadLetters().name());
        props.put(DeadLetteringHandlers.FAILED_RECORDS, failedRecords);
        props.put(DeadLetteringHandlers.LIMIT, deadLetterLimit);
        // The same for the global thread (the references store): Kafka 5.0's default. (Kafka Streams 4.3 still
        // logs its WARN asking for it twice per start, from internal config copies that drop the setting.)
        props.putIfAbsent(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        if (config.patientWiseSecret() != null) {
            LOG.info("Patient-wise intervals on: repeat labelled studies of one subject_key are paired (by its HMAC)");
        } else {
            LOG.info(
                    "Patient-wise intervals off ({}): intervals assume independent studies",
                    config.getBoolean(VigilConfig.OUTCOMES_PATIENT_WISE)
                            ? VigilConfig.STABILITY_SUBJECT_KEY_SECRET + " is not set"
                            : VigilConfig.OUTCOMES_PATIENT_WISE + "=false");
        }
        streams = new KafkaStreams(topology, props);
        streams.setUncaughtExceptionHandler(new StreamThreadFailures(Clock.systemUTC()));
        streams.setStateListener((now, before) -> LOG.info("Streams state {} -> {}", before, now));

        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        registry.config().meterFilter(new KafkaStoreTags());
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
        // Micrometer's function counters hold their object weakly: keep the binders reachable.
        // Counters from committed state, per partition, never backwards (StoreTotals).
        outcomeJoinMetrics = new OutcomeJoinMetrics(this::localStore, this::partitionsToRead, this::isRunning);
        outcomeJoinMetrics.bindTo(registry);
        ingestMetrics = new IngestMetrics(
                        this::localStore, this::partitionsToRead, Reason.CODES, this::isRunning, failedRecords)
                .withOutcomeJoin(outcomeJoinMetrics);
        ingestMetrics.bindTo(registry);
        new FailedRecordsMetrics(failedRecords).bindTo(registry);
        sliceOverflowMetrics = new SliceOverflowMetrics(
                this::localStore,
                this::partitionsToRead,
                this::isRunning,
                config.getList(VigilConfig.SLICES_ATTRIBUTES));
        sliceOverflowMetrics.bindTo(registry);
        registry.getPrometheusRegistry()
                .register(new SnapshotCollector(
                        this::latestSnapshots,
                        PrometheusExport.from(
                                config,
                                alertSettings.rules().stream()
                                        .filter(r -> r.minN() > 0)
                                        .map(AlertRule::metric)
                                        .toList(),
                                alertSettings.rules().stream()
                                        .filter(r -> r.maxP() != null)
                                        .map(AlertRule::metric)
                                        .toList())));

        pipelineProbe = new PipelineProbe(
                registry, streams::state, () -> PipelineProbe.maxRecordsLag(streams), Clock.systemUTC());
        openIncidents = new OpenIncidents(this::latestIncidents, alertSettings.resolvedRetention(), Clock.systemUTC());
        activeAlerts = new ActiveAlerts(
                this::latestAlerts, alertSettings.resolvedRetention(), Clock.systemUTC(), openIncidents::incidentOf);
        registry.getPrometheusRegistry().register(activeAlerts);
        registry.getPrometheusRegistry().register(openIncidents);

        http = new HttpServerRunner(
                config.getString(VigilConfig.HTTP_BIND),
                config.getInt(VigilConfig.HTTP_PORT),
                registry::scrape,
                this::isReady,
                httpSecurity);
        http.route(
                "/api/alerts",
                exchange -> HttpServerRunner.respond(exchange, 200, "application/json", activeAlerts.json()));
        http.routeTree("/runbooks/", Runbooks::serve);
        http.route(
                "/api/incidents",
                exchange -> HttpServerRunner.respond(exchange, 200, "application/json", openIncidents.json()));
        alertSource = this::activeAlerts;
        statusApi = new StatusApi(
                this::latestSnapshots,
                () -> alertSource.get(),
                () -> streams.state().name(),
                () -> LocalTasks.of(streams.metadataForLocalThreads()),
                new SnapshotHistory());
        statusApi.registerOn(http);
    }

    /** Sets where the status page, the API and the demo read the active alerts from. */
    public void setAlertSource(Supplier<List<Alert>> source) {
        this.alertSource = java.util.Objects.requireNonNull(source, "source");
    }

    /** The status page and JSON API (fleet status, history). */
    public StatusApi statusApi() {
        return statusApi;
    }

    /**
     * Checks that Kafka is reachable with the configured security settings, creates missing topics
     * (when configured), then starts Kafka Streams and the HTTP server.
     *
     * @throws IllegalStateException within seconds when Kafka rejects the credentials or the TLS handshake,
     *                               or no broker answers, naming the cause and the bootstrap servers
     */
    public Monitor start() {
        KafkaConnectivity.check(config.kafkaClientSettings());
        if (config.getBoolean(VigilConfig.TOPIC_CREATE)) {
            createTopics();
        }
        if (config.getBoolean(VigilConfig.OUTCOMES_JOIN_CO_PARTITIONED)) {
            readJoinPartitions();
        }
        readDeadLetterLimit();
        http.start();
        streams.start();
        startProgressSampler();
        if (config.getBoolean(VigilConfig.ALERTS_ENABLED)) {
            for (WebhookEndpoint endpoint : alertSettings.webhooks()) {
                webhookSenders.add(new WebhookSender(
                                endpoint,
                                config.kafkaClientSettings(),
                                config.getString(VigilConfig.APPLICATION_ID) + "-webhook-" + endpoint.name(),
                                endpoint.events() == WebhookEndpoint.Events.INCIDENTS
                                        ? topics.incidents().name()
                                        : topics.alerts().name(),
                                alertSettings.retryPolicy(),
                                registry,
                                Clock.systemUTC(),
                                new java.util.SplittableRandom())
                        .externalUrl(externalUrl())
                        .start());
            }
        }
        statusApi.start(STATUS_HISTORY_INTERVAL);
        return this;
    }

    /**
     * Sets {@link #deadLetterLimit} from the dead-letter topic's {@code max.message.bytes} and the producer's
     * {@code max.request.size}. When the topic's configuration cannot be read (e.g. no DescribeConfigs ACL),
     * Kafka's default is kept and a warning says so.
     */
    private void readDeadLetterLimit() {
        Object request = config.streamsProperties()
                .getOrDefault(
                        "producer." + ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                        config.streamsProperties().getOrDefault(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1_048_576));
        int maxRequestSize = Integer.parseInt(request.toString());
        ConfigResource topic = new ConfigResource(
                ConfigResource.Type.TOPIC, topics.deadLetters().name());
        try (Admin admin = Admin.create(config.kafkaClientSettings())) {
            org.apache.kafka.clients.admin.ConfigEntry entry = admin.describeConfigs(List.of(topic))
                    .all()
                    .get(30, java.util.concurrent.TimeUnit.SECONDS)
                    .get(topic)
                    .get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            int topicMax = entry == null || entry.value() == null
                    ? DeadLetterLimit.KAFKA_DEFAULT_BYTES
                    : Integer.parseInt(entry.value());
            deadLetterLimit.set(topicMax, maxRequestSize);
            LOG.info(
                    "Dead letters up to {} bytes are written whole (topic {} max.message.bytes={}, "
                            + "max.request.size={}); bigger ones are truncated",
                    deadLetterLimit.maxRecordBytes(),
                    topics.deadLetters().name(),
                    topicMax,
                    maxRequestSize);
        } catch (ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
            deadLetterLimit.set(DeadLetterLimit.KAFKA_DEFAULT_BYTES, maxRequestSize);
            LOG.warn(
                    "Cannot read the configuration of the dead-letter topic {} ({}); dead letters above {} bytes "
                            + "are truncated",
                    topics.deadLetters().name(),
                    e.getClass().getSimpleName(),
                    deadLetterLimit.maxRecordBytes());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(
                    "interrupted while describing " + topics.deadLetters().name(), e);
        }
    }

    /**
     * The outcome join's partition count: the larger of the two input topics' counts, which Kafka Streams also
     * gives the join's repartition topic. A record already in the partition of its prediction id is then joined
     * in place ({@link JoinPartitions}). When the counts cannot be read every record takes the repartition
     * topic, as with {@code outcomes.join.co-partitioned=false}: slower, never wrong.
     */
    private void readJoinPartitions() {
        List<String> inputs =
                List.of(topics.predictions().name(), topics.groundTruth().name());
        Map<String, Integer> counts = new java.util.TreeMap<>();
        try (Admin admin = Admin.create(config.kafkaClientSettings())) {
            admin.describeTopics(inputs)
                    .allTopicNames()
                    .get(30, java.util.concurrent.TimeUnit.SECONDS)
                    .forEach((name, d) -> counts.put(name, d.partitions().size()));
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.warn(
                    "Cannot read the partition counts of {} ({}): every record goes through the outcome join's "
                            + "repartition topic",
                    inputs,
                    e.getClass().getSimpleName());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing " + inputs, e);
        }
        int n = counts.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        joinPartitions.set(n);
        if (counts.values().stream().distinct().count() != 1) {
            LOG.warn(
                    "The input topics have unequal partition counts {}: the outcome join has {} partitions, and most "
                            + "records of the topic with fewer go through its repartition topic (slower; nothing is "
                            + "lost). Give both the same count.",
                    counts,
                    n);
        } else {
            LOG.info(
                    "Outcome join: {} partitions; records keyed by prediction_id with Kafka's default partitioner are "
                            + "joined in place, others go through its repartition topic",
                    n);
        }
    }

    private void createTopics() {
        List<NewTopic> wanted = topics.definitions(
                config.getInt(VigilConfig.TOPIC_PARTITIONS),
                config.getShort(VigilConfig.TOPIC_REPLICATION),
                config.getLong(VigilConfig.TOPIC_INPUT_RETENTION_MS));
        try (Admin admin = Admin.create(config.kafkaClientSettings())) {
            for (NewTopic topic : wanted) {
                try {
                    admin.createTopics(List.of(topic)).all().get();
                    LOG.info("Created topic {}", topic.name());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException(
                                "Cannot create topic " + topic.name() + ": "
                                        + e.getCause().getMessage(),
                                e.getCause());
                    }
                }
            }
            // Metadata of a new topic reaches every broker asynchronously; the global store needs its
            // partitions at startup, so wait until all are described.
            List<String> names = wanted.stream().map(NewTopic::name).toList();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                try {
                    admin.describeTopics(names).allTopicNames().get();
                    break;
                } catch (ExecutionException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("Topics not visible after creation: " + e.getCause(), e);
                    }
                    Thread.onSpinWait();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topics", e);
        }
    }

    public boolean isRunning() {
        return streams.state() == KafkaStreams.State.RUNNING;
    }

    /**
     * What /health/ready answers: Kafka Streams is RUNNING with at least one stream thread RUNNING, and
     * processing is not stuck (input waiting while the committed offsets stand still for
     * {@code health.stall-timeout-ms}).
     */
    public boolean isReady() {
        return isRunning()
                && streams.metadataForLocalThreads().stream().anyMatch(t -> "RUNNING".equals(t.threadState()))
                && !stall.stalled(System.currentTimeMillis());
    }

    /**
     * Why this monitor can no longer make progress, in one sentence, or empty while it can: Kafka Streams
     * stopped after failures it could not recover from, or processing has been stuck for
     * {@code health.stall-exit-timeout-ms}.
     */
    public java.util.Optional<String> failureReason() {
        if (failed()) {
            return java.util.Optional.of("Kafka Streams stopped after stream-thread failures it could not recover "
                    + "from (state " + streams.state() + "; the log has the cause)");
        }
        Duration stuck = stall.stalledFor(System.currentTimeMillis());
        if (stuck.compareTo(stallExit) >= 0) {
            return java.util.Optional.of("no input offset was committed for " + stuck.toSeconds() + " s while "
                    + stall.lag() + " input records waited: processing is stuck");
        }
        return java.util.Optional.empty();
    }

    /** Samples the input progress every {@link #PROGRESS_INTERVAL} into {@link #stall}. */
    private void startProgressSampler() {
        InputProgress progress = new InputProgress(
                config.kafkaClientSettings(),
                config.getString(VigilConfig.APPLICATION_ID),
                List.of(topics.predictions().name(), topics.groundTruth().name()));
        progressSampler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vigil-input-progress");
            t.setDaemon(true);
            return t;
        });
        progressSampler.scheduleWithFixedDelay(
                () -> {
                    try {
                        InputProgress.Sample s = progress.sample();
                        stall.observe(System.currentTimeMillis(), s.lag(), s.committed());
                        if (stall.stalled(System.currentTimeMillis())) {
                            LOG.warn(
                                    "Processing looks stuck: {} input records wait and no offset was committed for {} s",
                                    s.lag(),
                                    stall.stalledFor(System.currentTimeMillis()).toSeconds());
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (Exception e) {
                        // The broker is unreachable: the clients say so; the last sample stands.
                        LOG.debug("Input progress not sampled: {}", e.toString());
                    }
                },
                0,
                PROGRESS_INTERVAL.toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS);
        progressSamplerClose = progress;
    }

    private InputProgress progressSamplerClose;

    /** Whether Kafka Streams has given up (StreamThreadFailures): it will not process again in this process. */
    public boolean failed() {
        KafkaStreams.State state = streams.state();
        return state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    public OutcomeJoinMetrics outcomeJoinMetrics() {
        return outcomeJoinMetrics;
    }

    public IngestMetrics ingestMetrics() {
        return ingestMetrics;
    }

    public HttpServerRunner http() {
        return http;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public KafkaStreams streams() {
        return streams;
    }

    /**
     * The local store {@code name} of one partition (active tasks only), or null when not held or not queryable:
     * rebalancing, restoring, or Kafka Streams not running (its lookup then throws {@link IllegalStateException},
     * which reached the alert evaluator's punctuation during shutdown and was counted as a dropped record).
     */
    ReadOnlyKeyValueStore<String, Long> localStore(String name, int partition) {
        try {
            return streams.store(
                    StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, Long>keyValueStore())
                            .withPartition(partition));
        } catch (InvalidStateStoreException | IllegalStateException notQueryable) {
            return null;
        }
    }

    /** Partitions the counter stores can have here: the configured count, or more if a local task says so. */
    private int partitionsToRead() {
        int configured = config.getInt(VigilConfig.TOPIC_PARTITIONS);
        try {
            return Math.max(
                    configured,
                    1
                            + streams.metadataForLocalThreads().stream()
                                    .flatMap(t -> t.activeTasks().stream())
                                    .mapToInt(t -> t.taskId().partition())
                                    .max()
                                    .orElse(0));
        } catch (RuntimeException notRunning) {
            return configured;
        }
    }

    /** The local view of a key-value store, or null while it is not queryable (as {@link #localStore(String, int)}). */
    <K, V> ReadOnlyKeyValueStore<K, V> localStore(String name) {
        try {
            return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<K, V>keyValueStore()));
        } catch (InvalidStateStoreException | IllegalStateException notQueryable) {
            return null;
        }
    }

    /**
     * Every latest metric snapshot (the global view holds all of them on every instance), followed by
     * the metrics derived across them (worst slices, estimator backtest): what /metrics, the API and
     * the alert evaluator all see.
     */
    public List<MetricSnapshot> latestSnapshots() {
        ReadOnlyKeyValueStore<String, MetricSnapshot> store = localStore(MetricSnapshots.STORE);
        List<MetricSnapshot> out = new ArrayList<>();
        if (store == null) {
            return out;
        }
        try (KeyValueIterator<String, MetricSnapshot> it = store.all()) {
            it.forEachRemaining(kv -> out.add(kv.value));
        } catch (InvalidStateStoreException e) {
            return out;
        }
        return DerivedMetrics.withDerived(out, config.getInt(VigilConfig.OUTCOMES_MIN_N));
    }

    /** The latest transition of every alert fingerprint (the global view, on every instance). */
    List<Alert> latestAlerts() {
        return latestOf(AlertEvaluator.VIEW_STORE);
    }

    /** Every value of a global view, empty while it is restoring or absent (alerts disabled). */
    private <T> List<T> latestOf(String storeName) {
        ReadOnlyKeyValueStore<String, T> store = localStore(storeName);
        List<T> out = new ArrayList<>();
        if (store == null) {
            return out;
        }
        try (KeyValueIterator<String, T> it = store.all()) {
            it.forEachRemaining(kv -> {
                if (kv.value != null) {
                    out.add(kv.value);
                }
            });
        } catch (InvalidStateStoreException e) {
            return List.of();
        }
        return out;
    }

    /** Where people reach this Vigil: {@code http.external-url}, else the address the server is bound to. */
    String externalUrl() {
        String configured = config.getString(VigilConfig.HTTP_EXTERNAL_URL).strip();
        return configured.isEmpty() ? http.uri() : configured;
    }

    /** The latest transition of every incident (the global view, on every instance). */
    public List<Incident> latestIncidents() {
        return latestOf(AlertEvaluator.INCIDENT_VIEW_STORE);
    }

    /** Incidents open now, most severe first (empty while the view is restoring or alerts are disabled). */
    public List<Incident> openIncidents() {
        return openIncidents.open();
    }

    /** Alerts firing now, newest first (empty while the view is restoring or alerts are disabled). */
    public List<Alert> activeAlerts() {
        return activeAlerts.active();
    }

    /** Alerts resolved within {@code alerts.resolved-retention-ms}, newest first. */
    public List<Alert> recentlyResolvedAlerts() {
        return activeAlerts.recentlyResolved();
    }

    @Override
    public void close() {
        LOG.info("Stopping Vigil");
        if (progressSampler != null) {
            progressSampler.shutdownNow();
            progressSamplerClose.close();
        }
        webhookSenders.forEach(WebhookSender::close);
        http.close();
        statusApi.close();
        // Within Kubernetes' 30 s grace and the 10 s an operator waits after Ctrl-C: Streams commits what it
        // processed and closes; whatever is not committed by then is processed again after restart.
        streams.close(Duration.ofSeconds(7));
        streamsMetrics.close();
        registry.close();
    }
}
