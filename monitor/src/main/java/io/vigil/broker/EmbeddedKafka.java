package io.vigil.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import kafka.server.SharedServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node KRaft Kafka broker (combined broker and controller) running inside this JVM, for the
 * demo and for integration tests on machines without Docker.
 *
 * <p>Listeners bind to {@code 127.0.0.1} only, on ephemeral ports. The broker is configured for
 * exactly-once on one node (offsets and transaction-state topics with replication factor 1, min ISR 1),
 * with no initial rebalance delay and with automatic topic creation disabled: create topics with
 * {@link #createTopics(Collection)} before producing.
 *
 * <p>Built on {@link KafkaClusterTestKit}, an internal Apache Kafka test API; it is not meant for
 * production traffic. The test kit bootstraps its newest metadata version (4.4-IV0 in 4.3.1) with the
 * same finalized features a 4.3.1 release has (transaction.version 2, group.version 1, streams.version 1);
 * 4.3.1 clients negotiate only API versions they know. The data directory holds every record written to the broker, so treat it as a
 * PHI store. {@link #close()} stops the broker, releases its ports and, for {@link #start()}, deletes
 * its temporary directory. Instances are thread-safe.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final String HOST = "127.0.0.1";
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaClusterTestKit cluster;
    private final String bootstrapServers;
    private final Path dataDir;
    private boolean closed;

    private EmbeddedKafka(KafkaClusterTestKit cluster, String bootstrapServers, Path dataDir) {
        this.cluster = cluster;
        this.bootstrapServers = bootstrapServers;
        this.dataDir = dataDir;
    }

    /**
     * Starts a broker whose logs live in a fresh temporary directory, deleted by {@link #close()}.
     *
     * @return a started broker, ready to accept client requests
     * @throws IllegalStateException if the broker fails to start
     */
    public static EmbeddedKafka start() {
        return start(null);
    }

    /**
     * Starts a broker whose metadata and partition logs live under {@code dataDir}, which is created if
     * needed and kept after {@link #close()}. A broker cannot reopen a previous run's logs (each start
     * formats a new cluster), so {@code dataDir} must be empty or absent.
     *
     * @param dataDir base directory for the broker's logs; {@code null} for a temporary directory
     *                deleted on close
     * @return a started broker, ready to accept client requests
     * @throws IllegalArgumentException if {@code dataDir} exists and is not an empty directory
     * @throws IllegalStateException if the broker fails to start
     */
    public static EmbeddedKafka start(Path dataDir) {
        boolean temporary = dataDir == null;
        Path base = temporary ? createTempDir() : prepareDataDir(dataDir);
        long startNanos = System.nanoTime();
        KafkaClusterTestKit cluster = null;
        try {
            TestKitNodes nodes = new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .setBaseDirectory(base)
                    .build();
            String brokerListener = nodes.brokerListenerName().value();
            String controllerListener = nodes.controllerListenerName().value();
            cluster = new KafkaClusterTestKit.Builder(nodes)
                    .setDeleteOnClose(temporary)
                    .setConfigProp(
                            "listeners",
                            brokerListener + "://" + HOST + ":0," + controllerListener + "://" + HOST + ":0")
                    .setConfigProp("offsets.topic.replication.factor", "1")
                    .setConfigProp("offsets.topic.num.partitions", "1")
                    .setConfigProp("transaction.state.log.replication.factor", "1")
                    .setConfigProp("transaction.state.log.min.isr", "1")
                    .setConfigProp("transaction.state.log.num.partitions", "1")
                    .setConfigProp("group.initial.rebalance.delay.ms", "0")
                    .setConfigProp("auto.create.topics.enable", "false")
                    .build();
            rebindToLoopback(cluster, List.of(brokerListener, controllerListener));
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            String bootstrap = bootstrapServers(cluster, nodes.brokerListenerName());
            log.info(
                    "Embedded Kafka broker up at {} in {} ms, data in {}{}",
                    bootstrap,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos),
                    base,
                    temporary ? " (deleted on close)" : "");
            return new EmbeddedKafka(cluster, bootstrap, base);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (cluster != null) {
                closeQuietly(cluster, e);
            }
            throw new IllegalStateException("Embedded Kafka broker failed to start in " + base, e);
        }
    }

    /** @return the {@code bootstrap.servers} value for clients, e.g. {@code 127.0.0.1:40123} */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** @return the base directory holding the broker's metadata and partition logs */
    public Path dataDir() {
        return dataDir;
    }

    /**
     * Creates topics and waits until the controller has committed them. Topics that already exist are
     * left as they are.
     *
     * @param topics topics to create, with partition count and replication factor (at most 1)
     * @throws IllegalStateException if creation fails or takes longer than 30 s
     */
    public void createTopics(Collection<NewTopic> topics) {
        createTopics(bootstrapServers, topics);
    }

    /**
     * Creates topics on any broker and waits until the controller has committed them. Topics that
     * already exist are left as they are.
     *
     * @param bootstrapServers the {@code bootstrap.servers} of the target cluster
     * @param topics           topics to create
     * @throws IllegalStateException if creation fails or takes longer than 30 s
     */
    public static void createTopics(String bootstrapServers, Collection<NewTopic> topics) {
        Objects.requireNonNull(topics, "topics");
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                (int) ADMIN_TIMEOUT.toMillis()))) {
            for (Map.Entry<String, KafkaFuture<Void>> result :
                    admin.createTopics(topics).values().entrySet()) {
                try {
                    result.getValue().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("Could not create topic " + result.getKey(), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topics", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Timed out after " + ADMIN_TIMEOUT + " creating topics", e);
        }
        log.info("Created topics {}", topics.stream().map(NewTopic::name).collect(Collectors.toList()));
    }

    /**
     * Stops the broker and controller, releases their ports and, for a temporary directory, deletes it.
     * Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long startNanos = System.nanoTime();
        try {
            cluster.close();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("Embedded Kafka broker did not shut down cleanly", e);
        }
        log.info(
                "Embedded Kafka broker at {} stopped in {} ms",
                bootstrapServers,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    }

    /**
     * The test kit pre-binds every listener port on the wildcard address. Claiming and closing each
     * pre-bound socket makes the servers bind the same port again on the host named in
     * {@code listeners}, so nothing listens beyond loopback. The socket factory type lives in
     * kafka-server, a runtime-only dependency, hence the reflective call through its public interface.
     */
    private static void rebindToLoopback(KafkaClusterTestKit cluster, List<String> listenerNames)
            throws ReflectiveOperationException, IOException {
        Method socketFactory = SharedServer.class.getMethod("socketFactory");
        Method openServerSocket = Class.forName("org.apache.kafka.server.ServerSocketFactory")
                .getMethod("openServerSocket", String.class, InetSocketAddress.class, int.class, int.class);
        Set<SharedServer> servers = Collections.newSetFromMap(new IdentityHashMap<>());
        cluster.controllers().values().forEach(c -> servers.add(c.sharedServer()));
        cluster.brokers().values().forEach(b -> servers.add(b.sharedServer()));
        for (SharedServer server : servers) {
            Object factory = socketFactory.invoke(server);
            for (String listener : listenerNames) {
                try (ServerSocketChannel prebound = (ServerSocketChannel)
                        openServerSocket.invoke(factory, listener, new InetSocketAddress(HOST, 0), 0, 0)) {
                    log.debug("Released pre-bound {} socket {}", listener, prebound.getLocalAddress());
                }
            }
        }
    }

    private static String bootstrapServers(KafkaClusterTestKit cluster, ListenerName listener) {
        return cluster.brokers().values().stream()
                .map(b -> HOST + ":" + b.boundPort(listener))
                .collect(Collectors.joining(","));
    }

    private static Path createTempDir() {
        try {
            return Files.createTempDirectory("vigil-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a temporary directory for the embedded broker", e);
        }
    }

    private static Path prepareDataDir(Path dataDir) {
        try {
            if (Files.exists(dataDir)) {
                if (!Files.isDirectory(dataDir)) {
                    throw new IllegalArgumentException("Kafka data dir " + dataDir + " is not a directory");
                }
                try (Stream<Path> entries = Files.list(dataDir)) {
                    if (entries.findAny().isPresent()) {
                        throw new IllegalArgumentException("Kafka data dir " + dataDir
                                + " is not empty; each start formats a new cluster, so delete it or choose another");
                    }
                }
            }
            return Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare Kafka data dir " + dataDir, e);
        }
    }

    private static void closeQuietly(KafkaClusterTestKit cluster, Exception cause) {
        try {
            cluster.close();
        } catch (Exception suppressed) {
            cause.addSuppressed(suppressed);
        }
    }
}
