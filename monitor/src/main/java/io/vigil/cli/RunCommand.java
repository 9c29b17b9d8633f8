package io.vigil.cli;

import io.vigil.app.KafkaConnectivity;
import io.vigil.app.Monitor;
import io.vigil.config.VigilConfig;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code vigil run}: starts the monitor against the Kafka cluster named in config. */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        versionProvider = Vigil.Version.class,
        description = "Run the monitor against a Kafka cluster (settings from --config, VIGIL_* variables and --set).")
final class RunCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    @Mixin
    SettingsOptions settings = new SettingsOptions();

    @Override
    public Integer call() throws Exception {
        VigilConfig config;
        Monitor monitor;
        try {
            config = settings.load();
            // Kafka first, before the monitor's clients exist: an unreachable or refusing cluster is the first
            // thing the operator reads, not the last line after pages of reconnect warnings.
            String unreachable = kafkaUnreachable(config);
            if (unreachable != null) {
                System.err.println("Cannot start: " + unreachable);
                return 1;
            }
            // The monitor checks what needs the file system (the HTTP keystore) before it starts anything.
            monitor = new Monitor(config);
        } catch (ConfigException e) {
            System.err.println("Invalid configuration: " + e.getMessage());
            return 2;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            monitor.close();
                            stopped.countDown();
                        },
                        "vigil-shutdown"));
        try {
            monitor.start();
        } catch (IllegalStateException e) {
            // Kafka unreachable or refusing the credentials (KafkaConnectivity): say why in one line and exit.
            LOG.error("Cannot start: {}", e.getMessage());
            System.err.println("Cannot start: " + e.getMessage());
            return 1;
        }
        LOG.info("Vigil running; metrics at {}/metrics", monitor.http().uri());
        while (!stopped.await(1, TimeUnit.SECONDS)) {
            java.util.Optional<String> reason = monitor.failureReason();
            if (reason.isPresent()) {
                // Kafka Streams stopped, or processing is stuck: exit so the supervisor restarts Vigil.
                LOG.error("Stopping: {}", reason.get());
                System.err.println("Stopped: " + reason.get());
                return 1;
            }
        }
        return 0;
    }

    /** Why Kafka cannot be used with these settings, or null; the clients' own warnings are held back meanwhile. */
    private static String kafkaUnreachable(VigilConfig config) {
        org.slf4j.Logger network = LoggerFactory.getLogger("org.apache.kafka.clients.NetworkClient");
        ch.qos.logback.classic.Logger quiet = network instanceof ch.qos.logback.classic.Logger l ? l : null;
        ch.qos.logback.classic.Level before = quiet == null ? null : quiet.getLevel();
        if (quiet != null) {
            quiet.setLevel(ch.qos.logback.classic.Level.ERROR);
        }
        try {
            KafkaConnectivity.check(config.kafkaClientSettings());
            return null;
        } catch (IllegalStateException e) {
            return e.getMessage();
        } finally {
            if (quiet != null) {
                quiet.setLevel(before);
            }
        }
    }
}
