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
import io.vigil.alerts.AlertSettings;
import io.vigil.alerts.PipelineProbe;
import io.vigil.alerts.WebhookEndpoint;
import io.vigil.alerts.WebhookSender;
import io.vigil.config.VigilConfig;
import io.vigil.events.Alert;
import io.vigil.events.EventValidator;
import io.vigil.events.Reason;
import io.vigil.events.MetricSnapshot;
import io.vigil.metrics.DerivedMetrics;
import io.vigil.metrics.IngestMetrics;
import io.vigil.metrics.KafkaStoreTags;
import io.vigil.metrics.OutcomeJoinMetrics;
import io.vigil.metrics.SnapshotCollector;
import io.vigil.topology.MetricSnapshots;
import io.vigil.topology.Topics;
import io.vigil.topology.VigilTopology;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.KeyValueIterator;
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
    private final List<WebhookSender> webhookSenders = new ArrayList<>();
    private volatile PipelineProbe pipelineProbe;
    private final OutcomeJoinMetrics outcomeJoinMetrics;
    private final StatusApi statusApi;
    /** Where the status page and API get active alerts: the alert evaluator's, unless replaced. */
    private volatile Supplier<List<Alert>> alertSource;

    public Monitor(VigilConfig config) throws IOException {
        this.config = config;
        HttpServerRunner.Security httpSecurity = HttpServerRunner.Security.from(config).check();
        this.topics = Topics.from(config);
        EventValidator validator = new EventValidator(config.getInt(VigilConfig.INGEST_MAX_RECORD_BYTES),
                config.maxFutureSkew());
        alertSettings = AlertSettings.from(config);
        Topology topology = VigilTopology.build(config, topics, validator, () -> {
            PipelineProbe probe = pipelineProbe;
            return probe == null ? List.of() : probe.get();
        });
        LOG.info("Topology:\n{}", topology.describe());

        Properties props = config.streamsProperties();
        config.transactionTimeoutWarning().ifPresent(LOG::warn);
        // A processor that throws on one record must not stop the stream: log it and send the
        // record to the dead-letter topic (KIP-1033/1034).
        props.putIfAbsent(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
                LogAndContinueProcessingExceptionHandler.class.getName());
        props.putIfAbsent(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, topics.deadLetters().name());
        // The same for the global thread (the references store): Kafka 5.0's default. (Kafka Streams 4.3 still
        // logs its WARN asking for it twice per start, from internal config copies that drop the setting.)
        props.putIfAbsent(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
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
        ingestMetrics = new IngestMetrics(this::localStore, Reason.CODES, this::isRunning);
        ingestMetrics.bindTo(registry);
        outcomeJoinMetrics = new OutcomeJoinMetrics(this::localStore, this::isRunning);
        outcomeJoinMetrics.bindTo(registry);
        registry.getPrometheusRegistry().register(new SnapshotCollector(this::latestSnapshots));

        pipelineProbe = new PipelineProbe(registry, streams::state, () -> PipelineProbe.maxRecordsLag(streams),
                Clock.systemUTC());
        activeAlerts = new ActiveAlerts(this::latestAlerts, alertSettings.resolvedRetention(), Clock.systemUTC());
        registry.getPrometheusRegistry().register(activeAlerts);

        http = new HttpServerRunner(config.getString(VigilConfig.HTTP_BIND), config.getInt(VigilConfig.HTTP_PORT),
                registry::scrape, this::isRunning, httpSecurity);
        http.route("/api/alerts", exchange -> HttpServerRunner.respond(exchange, 200, "application/json",
                activeAlerts.json()));
        alertSource = this::activeAlerts;
        statusApi = new StatusApi(this::latestSnapshots, () -> alertSource.get(), () -> streams.state().name(),
                () -> LocalTasks.of(streams.metadataForLocalThreads()), new SnapshotHistory());
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
            checkCoPartitioned();
        }
        http.start();
        streams.start();
        if (config.getBoolean(VigilConfig.ALERTS_ENABLED)) {
            for (WebhookEndpoint endpoint : alertSettings.webhooks()) {
                webhookSenders.add(new WebhookSender(endpoint, config.kafkaClientSettings(),
                        config.getString(VigilConfig.APPLICATION_ID) + "-webhook-" + endpoint.name(),
                        topics.alerts().name(), alertSettings.retryPolicy(), registry, Clock.systemUTC(),
                        new java.util.SplittableRandom()).start());
            }
        }
        statusApi.start(STATUS_HISTORY_INTERVAL);
        return this;
    }

    /**
     * With {@code outcomes.join.co-partitioned}, partition k of the predictions topic and partition k
     * of the ground-truth topic must hold the same prediction ids: refuse to start when their counts differ.
     */
    private void checkCoPartitioned() {
        List<String> inputs = List.of(topics.predictions().name(), topics.groundTruth().name());
        Map<String, Integer> counts = new java.util.TreeMap<>();
        try (Admin admin = Admin.create(config.kafkaClientSettings())) {
            admin.describeTopics(inputs).allTopicNames().get(30, java.util.concurrent.TimeUnit.SECONDS)
                    .forEach((name, d) -> counts.put(name, d.partitions().size()));
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Cannot start: " + VigilConfig.OUTCOMES_JOIN_CO_PARTITIONED
                    + "=true needs the partition counts of " + inputs + ", which cannot be described: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing " + inputs, e);
        }
        if (counts.values().stream().distinct().count() != 1) {
            throw new IllegalStateException("Cannot start: " + VigilConfig.OUTCOMES_JOIN_CO_PARTITIONED
                    + "=true needs the same number of partitions in both input topics, found " + counts
                    + "; give them equal counts or set it to false");
        }
        LOG.info("Outcome join reads {} directly (co-partitioned, {} partitions each)", inputs,
                counts.values().iterator().next());
    }

    private void createTopics() {
        List<NewTopic> wanted = topics.definitions(config.getInt(VigilConfig.TOPIC_PARTITIONS),
                config.getShort(VigilConfig.TOPIC_REPLICATION), config.getLong(VigilConfig.TOPIC_INPUT_RETENTION_MS));
        try (Admin admin = Admin.create(config.kafkaClientSettings())) {
            for (NewTopic topic : wanted) {
                try {
                    admin.createTopics(List.of(topic)).all().get();
                    LOG.info("Created topic {}", topic.name());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("Cannot create topic " + topic.name() + ": "
                                + e.getCause().getMessage(), e.getCause());
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

    /** The local view of a key-value store, or null while it is not queryable (rebalancing, restoring). */
    <K, V> ReadOnlyKeyValueStore<K, V> localStore(String name) {
        try {
            return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<K, V>keyValueStore()));
        } catch (InvalidStateStoreException e) {
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
        return DerivedMetrics.withDerived(out, config.getInt(VigilConfig.OUTCOMES_MIN_N), Instant.now());
    }

    /** The latest transition of every alert fingerprint (the global view, on every instance). */
    List<Alert> latestAlerts() {
        ReadOnlyKeyValueStore<String, Alert> store = localStore(AlertEvaluator.VIEW_STORE);
        List<Alert> out = new ArrayList<>();
        if (store == null) {
            return out;
        }
        try (KeyValueIterator<String, Alert> it = store.all()) {
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
        webhookSenders.forEach(WebhookSender::close);
        http.close();
        statusApi.close();
        streams.close(Duration.ofSeconds(30));
        streamsMetrics.close();
        registry.close();
    }
}
