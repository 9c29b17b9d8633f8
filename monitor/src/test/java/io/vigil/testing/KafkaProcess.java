package io.vigil.testing;

import static org.awaitility.Awaitility.await;

import io.vigil.broker.EmbeddedKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) in its own JVM:
 * {@code java -cp <test classpath> kafka.Kafka server.properties}, so a test can crash it with SIGKILL
 * and start it again on the same ports and log directory.
 *
 * <p>Listeners bind to {@code 127.0.0.1} only, on ports chosen once at the first start and kept for
 * every restart: {@value #BROKER_LISTENER} (clients and inter-broker traffic), {@value #CONTROLLER_LISTENER}
 * and any extra listeners given to the {@link Builder} (for example a {@code SASL_SSL} one). Configured
 * for exactly-once on one node (offsets and transaction-state topics with replication factor 1, min ISR 1),
 * no initial rebalance delay, automatic topic creation off. Storage is formatted once with
 * {@code kafka.tools.StorageTool format --standalone}, with SCRAM credentials when asked for.
 *
 * <p>The broker logs through the test classpath's Logback binding at INFO into one file per run
 * ({@code broker-<run>.log} in the directory); {@link #start()} returns once it logged
 * {@value #STARTED}. Not thread-safe: one test drives it.
 */
public final class KafkaProcess implements KafkaBroker {
    /** Listener for clients and inter-broker traffic, PLAINTEXT. */
    public static final String BROKER_LISTENER = "PLAINTEXT";
    /** The KRaft controller listener, PLAINTEXT. */
    public static final String CONTROLLER_LISTENER = "CONTROLLER";
    /** What the broker logs once it serves requests. */
    public static final String STARTED = "Kafka Server started";

    private static final Logger log = LoggerFactory.getLogger(KafkaProcess.class);
    private static final String HOST = "127.0.0.1";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final Path dir;
    private final boolean temporary;
    /** Listener name -> security protocol, broker and controller first. */
    private final Map<String, String> listeners;

    private final Map<String, String> properties;
    private final List<String> scramCredentials;
    private final List<String> jvmOptions;
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    private final Thread reaper = new Thread(this::destroyForcibly, "kafka-process-reaper");
    private Process process;
    private Path logFile;
    private int runs;
    private boolean closed;

    private KafkaProcess(Builder b) throws IOException {
        this.temporary = b.dir == null;
        this.dir = temporary ? Files.createTempDirectory("vigil-kafka-process-") : Files.createDirectories(b.dir);
        this.listeners = new LinkedHashMap<>();
        listeners.put(BROKER_LISTENER, "PLAINTEXT");
        listeners.put(CONTROLLER_LISTENER, "PLAINTEXT");
        listeners.putAll(b.listeners);
        this.properties = Map.copyOf(b.properties);
        this.scramCredentials = List.copyOf(b.scramCredentials);
        this.jvmOptions = List.copyOf(b.jvmOptions);
    }

    /** @return a builder for a broker with extra listeners, properties or SCRAM users */
    public static Builder builder() {
        return new Builder();
    }

    /** Starts a broker with the default configuration in a temporary directory, deleted by {@link #close()}. */
    public static KafkaProcess start() {
        return builder().start();
    }

    /** Configures a {@link KafkaProcess} before its first start. */
    public static final class Builder {
        private Path dir;
        private final Map<String, String> listeners = new LinkedHashMap<>();
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final List<String> scramCredentials = new ArrayList<>();
        private final List<String> jvmOptions = new ArrayList<>();

        private Builder() {}

        /** Keeps the broker's files (config, logs, data) in {@code dir}, not deleted on close. */
        public Builder dir(Path dir) {
            this.dir = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /**
         * Adds a listener on 127.0.0.1 (port chosen at the first start). Its settings go in
         * {@link #property} as {@code listener.name.<name in lower case>.<setting>}.
         *
         * @param name             listener name, e.g. {@code SCRAM}
         * @param securityProtocol PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
         */
        public Builder listener(String name, String securityProtocol) {
            if (name.equals(BROKER_LISTENER) || name.equals(CONTROLLER_LISTENER)) {
                throw new IllegalArgumentException(name + " is the built-in listener");
            }
            listeners.put(name, securityProtocol);
            return this;
        }

        /** Adds or replaces a server property. */
        public Builder property(String key, String value) {
            properties.put(key, value);
            return this;
        }

        /** A SCRAM user written into the metadata at format time, like {@code --add-scram}. */
        public Builder scramUser(String mechanism, String name, String password) {
            scramCredentials.add(mechanism + "=[name=" + name + ",password=" + password + "]");
            return this;
        }

        /** Adds an option for the broker's JVM. */
        public Builder jvmOption(String option) {
            jvmOptions.add(option);
            return this;
        }

        /** Formats the storage and starts the broker; returns once it serves requests. */
        public KafkaProcess start() {
            KafkaProcess kafka;
            try {
                kafka = new KafkaProcess(this);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot create the broker's directory", e);
            }
            try {
                kafka.firstStart();
                return kafka;
            } catch (RuntimeException | Error e) {
                kafka.close();
                throw e;
            }
        }
    }

    private void firstStart() {
        choosePorts();
        try {
            Files.writeString(dir.resolve("server.properties"), serverProperties(), StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("logback-broker.xml"), LOGBACK, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Runtime.getRuntime().addShutdownHook(reaper);
        format();
        launch();
    }

    /** Binds every port at once (so they differ), then releases them for the broker. */
    private void choosePorts() {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (String name : listeners.keySet()) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST));
                sockets.add(s);
                ports.put(name, s.getLocalPort());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot find free ports on " + HOST, e);
        } finally {
            for (ServerSocket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // Only a probe; the broker binds the port next.
                }
            }
        }
    }

    private String serverProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.bootstrap.servers", HOST + ":" + ports.get(CONTROLLER_LISTENER));
        String addresses = listeners.keySet().stream()
                .map(n -> n + "://" + HOST + ":" + ports.get(n))
                .collect(Collectors.joining(","));
        p.put("listeners", addresses);
        p.put("advertised.listeners", addresses);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", BROKER_LISTENER);
        p.put(
                "listener.security.protocol.map",
                listeners.entrySet().stream()
                        .map(e -> e.getKey() + ":" + e.getValue())
                        .collect(Collectors.joining(",")));
        p.put("log.dirs", dir.resolve("data").toString());
        p.put("num.partitions", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        p.putAll(properties);
        return p.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n", "", "\n"));
    }

    private void format() {
        // The cluster id is what `StorageTool random-uuid` prints (Uuid.randomUuid()), made here to save a JVM start.
        List<String> cmd = java(List.of());
        cmd.addAll(List.of(
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                Uuid.randomUuid().toString(),
                "-c",
                dir.resolve("server.properties").toString()));
        for (String credential : scramCredentials) {
            cmd.add("--add-scram");
            cmd.add(credential);
        }
        Path out = dir.resolve("format.log");
        try {
            Process format = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            if (!format.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                format.destroyForcibly();
                throw new IllegalStateException("StorageTool format did not finish within " + START_TIMEOUT);
            }
            if (format.exitValue() != 0) {
                throw new IllegalStateException(
                        "StorageTool format exited " + format.exitValue() + ":\n" + tail(out, 40));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run StorageTool", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while formatting", e);
        }
    }

    /** Starts the broker JVM on the existing config and data and waits for {@value #STARTED}. */
    private void launch() {
        long startNanos = System.nanoTime();
        List<String> cmd = java(jvmOptions);
        cmd.add("kafka.Kafka");
        cmd.add(dir.resolve("server.properties").toString());
        logFile = dir.resolve("broker-" + runs++ + ".log");
        try {
            process = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(logFile.toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the broker JVM", e);
        }
        Process p = process;
        Path file = logFile;
        await("Kafka broker logs '" + STARTED + "'")
                .atMost(START_TIMEOUT)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!p.isAlive()) {
                        throw new IllegalStateException(
                                "Kafka broker exited " + p.exitValue() + ":\n" + tail(file, 60));
                    }
                    return Files.readString(file, StandardCharsets.UTF_8).contains(STARTED);
                });
        log.info(
                "Kafka broker process {} (run {}) up at {} in {} ms",
                p.pid(),
                runs - 1,
                bootstrapServers(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    }

    private List<String> java(List<String> options) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-Djava.awt.headless=true");
        cmd.add("-Dlogback.configurationFile=" + dir.resolve("logback-broker.xml"));
        cmd.addAll(options);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        return cmd;
    }

    @Override
    public Kind kind() {
        return Kind.PROCESS;
    }

    /** @return {@code 127.0.0.1:<port>} of the {@value #BROKER_LISTENER} listener */
    @Override
    public String bootstrapServers() {
        return bootstrapServers(BROKER_LISTENER);
    }

    /** @return {@code 127.0.0.1:<port>} of the named listener */
    public String bootstrapServers(String listener) {
        Integer port = ports.get(listener);
        if (port == null) {
            throw new IllegalArgumentException("No listener " + listener + "; listeners are " + ports.keySet());
        }
        return HOST + ":" + port;
    }

    /** Creates topics through the {@value #BROKER_LISTENER} listener and waits until they exist. */
    @Override
    public void createTopics(Collection<NewTopic> topics) {
        EmbeddedKafka.createTopics(bootstrapServers(), topics);
    }

    /** @return whether the broker JVM is running */
    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** @return the log of the current (or last) run */
    public Path logFile() {
        return logFile;
    }

    /** @return the directory holding server.properties, the logs and the data */
    public Path dir() {
        return dir;
    }

    /**
     * Crashes the broker: SIGKILL through {@link Process#destroyForcibly()}, no shutdown hooks, no
     * controlled shutdown, nothing flushed beyond what the OS already holds. Returns once it is gone.
     */
    public void kill() {
        if (process == null || !process.isAlive()) {
            throw new IllegalStateException("The broker is not running");
        }
        long pid = process.pid();
        destroyForcibly();
        log.info("Kafka broker process {} killed (SIGKILL)", pid);
    }

    /**
     * Starts the broker again on the same ports, config and data directory (no reformat), after a
     * {@link #kill()} or on its own exit; returns once it serves requests.
     */
    public void restart() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("The broker is still running; kill() it first");
        }
        launch();
    }

    /** Stops the broker (SIGTERM, then SIGKILL after 30 s) and deletes a temporary directory. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    log.warn("Kafka broker process {} did not stop within {}; killing it", process.pid(), STOP_TIMEOUT);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            destroyForcibly();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException | IllegalArgumentException ignored) {
            // Shutting down already, or never registered.
        }
        if (temporary) {
            deleteRecursively(dir);
        }
    }

    private void destroyForcibly() {
        Process p = process;
        if (p == null) {
            return;
        }
        p.destroyForcibly();
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    private static void deleteRecursively(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    log.warn("Cannot delete {}: {}", path, e.toString());
                }
            });
        } catch (IOException e) {
            log.warn("Cannot delete {}: {}", root, e.toString());
        }
    }

    /** The broker's logging: Kafka at INFO (its startup line, authentication failures) to stdout. */
    private static final String LOGBACK = """
            <configuration>
              <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
              </appender>
              <logger name="kafka" level="INFO"/>
              <logger name="org.apache.kafka" level="INFO"/>
              <root level="WARN"><appender-ref ref="OUT"/></root>
            </configuration>
            """;
}
