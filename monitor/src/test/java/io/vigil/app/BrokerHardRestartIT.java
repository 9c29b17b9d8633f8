package io.vigil.app;

import static io.vigil.testing.MonitorHarness.ingestCount;
import static io.vigil.testing.MonitorHarness.joinCount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vigil.events.MetricSnapshot;
import io.vigil.stages.OutcomeJoin;
import io.vigil.stats.BinaryOutcomeStats;
import io.vigil.testing.ExactChecks;
import io.vigil.testing.ExactInput;
import io.vigil.testing.KafkaProcess;
import io.vigil.testing.MonitorHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Broker crash (issue 9): the single Kafka broker runs in its own JVM ({@link KafkaProcess}) and is
 * killed with SIGKILL while a fixed input is being produced and the monitor is processing it, kept
 * down for a few seconds, and started again on the same ports and log directory. The producer keeps
 * sending through the outage; the monitor (in this JVM) is neither restarted nor told anything and must
 * recover by itself. Afterwards every count read through {@code /metrics} and every snapshot and dead
 * letter read with {@code read_committed} equals a batch computation over the input, as in
 * {@link ExactlyOnceKillIT}: nothing lost, nothing counted twice. The producer's own delivery is
 * checked too (every record acknowledged once, end offsets equal to what was sent), so a miscount is
 * the monitor's.
 *
 * <p>The kill lands while the stream thread's transaction is open at the coordinator, and the broker
 * stays down longer than Kafka Streams' default transaction timeout (10 s), with its coordinator
 * scanning for timed-out transactions every 500 ms. This is the regression test for Vigil's own
 * default, {@code transaction.timeout.ms} = 60 s (VigilConfig): with a timeout shorter than the outage
 * ({@value #TRANSACTION_TIMEOUT_PROPERTY}=10000) the restarted coordinator aborts that transaction
 * while the broker is still starting, before its partitions have a leader, skips their abort markers
 * (Kafka 4.3.1 takes them for deleted) and fences the live thread; the thread's next commit then
 * commits the aborted records too, and the dead letters and outcome-join inputs are counted twice.
 * The broker's logs stay in the temporary directory when the test fails.
 */
class BrokerHardRestartIT {
    /** Overrides the monitor's kafka.transaction.timeout.ms, e.g. 10000 (Kafka Streams' own default). */
    static final String TRANSACTION_TIMEOUT_PROPERTY = "vigil.it.transaction-timeout-ms";
    /** Overrides the broker's transaction.abort.timed.out.transaction.cleanup.interval.ms (500 here, Kafka's 10 s). */
    static final String ABORT_SCAN_PROPERTY = "vigil.it.abort-scan-ms";

    private static final int PREDICTIONS = 20_000;
    /** Kafka Streams' transaction.timeout.ms under exactly-once, which Vigil overrides (VigilConfig). */
    private static final long STREAMS_DEFAULT_TRANSACTION_TIMEOUT_MS = 10_000;
    /** Longer than {@link #STREAMS_DEFAULT_TRANSACTION_TIMEOUT_MS} on its own, however fast the restart. */
    private static final Duration DOWN = Duration.ofSeconds(12);
    /** After the crash the producer sends this many records per interval (about 400 a second). */
    private static final int SLICE = 100;

    private static final Duration SLICE_INTERVAL = Duration.ofMillis(250);
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void shouldCountEverythingExactlyOnceWhenTheBrokerIsKilledAndRestartedMidStream(
            @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
        long started = System.nanoTime();
        long upAtNanos = 0;
        ExactInput in = ExactInput.generate(20261123L, PREDICTIONS, NOW);
        BinaryOutcomeStats batch = ExactChecks.batch(in);
        long validLabels = in.labelRecords;

        // What the monitor says about its own stream threads while the broker is away.
        Logger monitorLog = (Logger) LoggerFactory.getLogger(Monitor.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.setContext((LoggerContext) LoggerFactory.getILoggerFactory());
        events.start();
        monitorLog.addAppender(events);

        try (KafkaProcess kafka = broker(dir.resolve("kafka"))) {
            MonitorHarness h = new MonitorHarness(kafka);
            Path state = Files.createDirectory(dir.resolve("state"));
            try (Monitor monitor = new Monitor(h.config(state, monitorSettings()));
                    KafkaProducer<byte[], byte[]> producer = producer(kafka)) {
                monitor.start();
                await("monitor running").atMost(Duration.ofSeconds(90)).until(monitor::isRunning);
                String uri = monitor.http().uri();
                ConcurrentLinkedQueue<Exception> sendErrors = new ConcurrentLinkedQueue<>();
                AtomicLong acked = new AtomicLong();
                AtomicInteger position = new AtomicInteger();

                // Phases of the input: A before the crash; B sent at once right before it (in flight when the
                // broker dies); the rest at a steady pace from the crash on, through the outage (buffered, or
                // blocked on metadata) and after the restart.
                int n = in.sends.size();
                int a = n * 40 / 100;
                int b = n * 50 / 100;
                send(h, producer, in.sends, 0, a, position, acked, sendErrors);
                producer.flush();
                long validInA = in.sends.subList(0, a).stream()
                        .filter(ExactInput.Send::validPrediction)
                        .count();
                // Crash with committed state, open transactions and unflushed partials all present.
                long target = validInA / 2;
                await("monitor makes progress before the crash")
                        .atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofMillis(20))
                        .ignoreExceptions()
                        .until(() -> accepted(h, uri) >= target);
                long acceptedBeforeKill = accepted(h, uri);
                send(h, producer, in.sends, a, b, position, acked, sendErrors);
                // Kill while the stream thread's transaction is open and registered with the coordinator
                // (it holds output partitions), so that the restarted coordinator has a transaction it could
                // time out; otherwise whether there is one depends on where the thread was at the kill.
                TransactionDescription open = awaitOpenTransaction(kafka, transactionalId(monitor));
                long killedAt = System.nanoTime();
                kafka.kill();
                System.out.println("[restart] broker killed (SIGKILL) " + ms(started, killedAt) + " ms into the"
                        + " test; monitor had accepted " + acceptedBeforeKill + " of " + in.valid.size()
                        + " valid predictions; records sent " + b + " of " + n + ", acknowledged " + acked.get()
                        + "; the stream thread's transaction was " + open.state() + " (epoch " + open.producerEpoch()
                        + ") on " + open.topicPartitions().size() + " partitions");
                ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();
                CompletableFuture<Void> rest = new CompletableFuture<>();
                try {
                    sender.scheduleAtFixedRate(
                            () -> {
                                try {
                                    int from = position.get();
                                    int to = Math.min(n, from + SLICE);
                                    send(h, producer, in.sends, from, to, position, acked, sendErrors);
                                    if (to == n) {
                                        rest.complete(null);
                                    }
                                } catch (RuntimeException e) {
                                    rest.completeExceptionally(e);
                                }
                            },
                            0,
                            SLICE_INTERVAL.toMillis(),
                            TimeUnit.MILLISECONDS);
                    await("broker down for " + DOWN)
                            .pollDelay(DOWN)
                            .atMost(DOWN.plusSeconds(5))
                            .until(() -> true);
                    assertThat(monitor.streams().state())
                            .as("the monitor keeps its streams through the outage")
                            .isNotIn(
                                    KafkaStreams.State.ERROR,
                                    KafkaStreams.State.NOT_RUNNING,
                                    KafkaStreams.State.PENDING_ERROR);
                    long restartAt = System.nanoTime();
                    assertThat(Duration.ofNanos(restartAt - killedAt))
                            .as("down for longer than Kafka Streams' default"
                                    + " transaction timeout, so a monitor using it would have its transaction aborted")
                            .isGreaterThan(Duration.ofMillis(STREAMS_DEFAULT_TRANSACTION_TIMEOUT_MS));
                    kafka.restart();
                    long upAt = System.nanoTime();
                    upAtNanos = upAt;
                    System.out.println("[restart] broker down " + ms(killedAt, upAt) + " ms in all; restart on the"
                            + " same ports and log dir took " + ms(restartAt, upAt) + " ms (log recovery, controller"
                            + " election, broker registration); records sent while it was down "
                            + (position.get() - b) + " (then send() blocks on metadata until it is back)");
                    rest.get(180, TimeUnit.SECONDS);
                    producer.flush();
                    System.out.println("[restart] producer: every record acknowledged " + ms(upAt, System.nanoTime())
                            + " ms after the broker came back");
                } finally {
                    sender.shutdownNow();
                }
                long upAt = upAtNanos;
                assertThat(sendErrors).as("no send failed").isEmpty();
                assertThat(acked.get()).isEqualTo(n);
                // The broker holds each input record exactly once (idempotent producer across the crash),
                // so any miscount below is the monitor's.
                assertThat(endOffsets(kafka, h, "predictions"))
                        .isEqualTo(in.sends.stream()
                                .filter(x -> x.topic().equals("predictions"))
                                .count());
                assertThat(endOffsets(kafka, h, "ground-truth"))
                        .isEqualTo(in.sends.stream()
                                .filter(x -> x.topic().equals("ground-truth"))
                                .count());

                await("processing settled: every input record counted")
                        .atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofMillis(500))
                        .ignoreExceptions()
                        .untilAsserted(() -> {
                            String m = h.get(uri, "/metrics");
                            assertThat(ingestCount(m, "predictions", "accepted", null))
                                    .as("predictions accepted")
                                    .isEqualTo(in.valid.size());
                            assertThat(ingestCount(m, "ground_truth", "accepted", null))
                                    .as("labels accepted")
                                    .isEqualTo(validLabels);
                            assertThat(joinCount(m, OutcomeJoin.PREDICTIONS_REGISTERED))
                                    .as("predictions registered")
                                    .isEqualTo(in.valid.size());
                        });
                long countedAt = System.nanoTime();
                // What the restarted coordinator did with the thread's open transaction: with a transaction
                // timeout shorter than the outage, a rollback and the abort markers it skipped.
                try (var lines = Files.lines(kafka.logFile())) {
                    lines.filter(l -> l.contains("due to timeout") || l.contains("Couldn't find leader endpoint"))
                            .forEach(l -> System.out.println("[restart] broker: " + l));
                }
                await("snapshots settled on the batch values")
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(500))
                        .ignoreExceptions()
                        .untilAsserted(() -> {
                            Map<String, MetricSnapshot> s = h.committedSnapshots();
                            assertThat(s.get(ExactChecks.perfKey("labelled")).estimate())
                                    .as("labelled, all/30d")
                                    .isEqualTo((double) batch.n());
                            assertThat(s.get(ExactChecks.driftKey()).n())
                                    .as("drift predictions, all/30d")
                                    .isEqualTo(in.valid.size());
                        });
                long settledAt = System.nanoTime();
                System.out.println("[restart] monitor (never restarted) counted every input record "
                        + ms(upAt, countedAt) + " ms and published the final snapshots " + ms(upAt, settledAt)
                        + " ms after the broker came back; streams state " + monitor.state());
                List<String> monitorEvents = events.list.stream()
                        .map(ILoggingEvent::getFormattedMessage)
                        .filter(msg -> msg.startsWith("Streams state") || msg.startsWith("Stream thread failed"))
                        .toList();
                System.out.println("[restart] monitor log: " + monitorEvents);
                assertThat(monitor.state()).isEqualTo(KafkaStreams.State.RUNNING);

                ExactChecks.assertEqualsBatch(h, uri, in, "[restart]");
                System.out.println("[restart] wall " + ms(started, System.nanoTime()) + " ms");
            }
        } finally {
            monitorLog.detachAppender(events);
            events.stop();
        }
    }

    /**
     * The broker; its transaction coordinator looks for transactions older than their timeout every
     * 500 ms (Kafka's default: every 10 s), so it finds one during its own startup, or as set by
     * {@value #ABORT_SCAN_PROPERTY}.
     */
    private static KafkaProcess broker(Path dir) {
        return KafkaProcess.builder()
                .dir(dir)
                .property(
                        "transaction.abort.timed.out.transaction.cleanup.interval.ms",
                        System.getProperty(ABORT_SCAN_PROPERTY, "500"))
                .start();
    }

    /**
     * Quick snapshots, and otherwise the product's defaults (transaction timeout included) unless
     * {@value #TRANSACTION_TIMEOUT_PROPERTY} sets {@code kafka.transaction.timeout.ms}.
     */
    private static Map<String, Object> monitorSettings() {
        Map<String, Object> settings = new HashMap<>(Map.of(
                "drift.windows", "7d,30d",
                "drift.grace-days", "15",
                "drift.flush-interval-ms", "500",
                "drift.snapshot-interval-ms", "1000",
                "outcomes.windows", "7d,30d",
                "outcomes.flush-interval-ms", "500",
                "outcomes.snapshot-interval-ms", "1000",
                "kafka.commit.interval.ms", "200"));
        String transactionTimeout = System.getProperty(TRANSACTION_TIMEOUT_PROPERTY);
        if (transactionTimeout != null) {
            settings.put("kafka.transaction.timeout.ms", transactionTimeout);
        }
        return settings;
    }

    /** Sends {@code sends[from, to)} in order, counting positions and acknowledgements. */
    private static void send(
            MonitorHarness h,
            KafkaProducer<byte[], byte[]> producer,
            List<ExactInput.Send> sends,
            int from,
            int to,
            AtomicInteger position,
            AtomicLong acked,
            ConcurrentLinkedQueue<Exception> errors) {
        for (int i = from; i < to; i++) {
            ExactInput.Send s = sends.get(i);
            producer.send(new ProducerRecord<>(h.topic(s.topic()), s.value()), (md, e) -> {
                if (e != null) {
                    errors.add(e);
                } else {
                    acked.incrementAndGet();
                }
            });
            position.set(i + 1);
        }
    }

    /**
     * An idempotent producer that rides out the outage as an application would: send() blocks on
     * metadata while no broker answers (instead of failing after the default 60 s), and records wait
     * for delivery for minutes.
     */
    private static KafkaProducer<byte[], byte[]> producer(KafkaProcess kafka) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 180_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Records in a topic: the sum of its partitions' end offsets (one non-transactional producer). */
    private static long endOffsets(KafkaProcess kafka, MonitorHarness h, String suffix) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            String topic = h.topic(suffix);
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition()))
                    .toList();
            Map<TopicPartition, Long> begin = c.beginningOffsets(parts);
            return c.endOffsets(parts).entrySet().stream()
                    .mapToLong(e -> e.getValue() - begin.get(e.getKey()))
                    .sum();
        }
    }

    private static long ms(long fromNanos, long toNanos) {
        return Duration.ofNanos(toNanos - fromNanos).toMillis();
    }

    /** The transactional id of the monitor's (single) stream thread's producer: {@code <client id>-<thread index>}. */
    private static String transactionalId(Monitor monitor) {
        ThreadMetadata thread =
                monitor.streams().metadataForLocalThreads().iterator().next();
        return thread.threadName().replaceFirst("-StreamThread-(\\d+)$", "-$1");
    }

    /** Waits until the coordinator holds an ongoing transaction with output partitions for {@code transactionalId}. */
    private static TransactionDescription awaitOpenTransaction(KafkaProcess kafka, String transactionalId) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            AtomicReference<TransactionDescription> open = new AtomicReference<>();
            await("an open transaction of " + transactionalId)
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(1))
                    .until(() -> {
                        TransactionDescription d = admin.describeTransactions(List.of(transactionalId))
                                .description(transactionalId)
                                .get();
                        open.set(d);
                        return d.state() == TransactionState.ONGOING
                                && !d.topicPartitions().isEmpty();
                    });
            return open.get();
        }
    }

    private static long accepted(MonitorHarness h, String uri) throws Exception {
        return ingestCount(h.get(uri, "/metrics"), "predictions", "accepted", null);
    }
}
