package io.vigil.testing;

import io.vigil.broker.EmbeddedKafka;
import java.time.Duration;
import java.util.Collection;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * Starts a {@link KafkaBroker}: an {@code apache/kafka:4.3.1} container when a Docker daemon answers,
 * otherwise an {@link EmbeddedKafka} in this JVM. The system property {@value #KIND_PROPERTY}
 * ({@code container}, {@code embedded} or {@code process}, a {@link KafkaProcess}) forces the choice.
 */
public final class KafkaBrokers {
    /** System property that forces the broker kind: {@code container} or {@code embedded}. */
    public static final String KIND_PROPERTY = "vigil.test.kafka";
    /** Image used when Docker is available; the same Kafka version as the clients. */
    public static final String IMAGE = "apache/kafka:4.3.1";

    private static final Logger log = LoggerFactory.getLogger(KafkaBrokers.class);

    private KafkaBrokers() {}

    /**
     * Starts a broker of the kind chosen by {@value #KIND_PROPERTY} or, if unset, by Docker's availability.
     *
     * @return a started broker; the caller closes it
     */
    public static KafkaBroker start() {
        KafkaBroker.Kind kind = chooseKind();
        long startNanos = System.nanoTime();
        KafkaBroker broker = switch (kind) {
            case CONTAINER -> startContainer();
            case EMBEDDED -> startEmbedded();
            case PROCESS -> KafkaProcess.start();
        };
        log.info(
                "Kafka broker for tests: {} at {}, started in {} ms",
                kind,
                broker.bootstrapServers(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
        return broker;
    }

    private static KafkaBroker.Kind chooseKind() {
        String forced = System.getProperty(KIND_PROPERTY, "").trim();
        if (!forced.isEmpty()) {
            try {
                return KafkaBroker.Kind.valueOf(forced.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "System property " + KIND_PROPERTY + " must be 'container'," + " 'embedded' or 'process', not '"
                                + forced + "'",
                        e);
            }
        }
        boolean docker = DockerClientFactory.instance().isDockerAvailable();
        log.info(
                "Docker {}available; using the {} Kafka broker",
                docker ? "" : "not ",
                docker ? "container" : "embedded");
        return docker ? KafkaBroker.Kind.CONTAINER : KafkaBroker.Kind.EMBEDDED;
    }

    private static KafkaBroker startEmbedded() {
        return new Embedded(EmbeddedKafka.start());
    }

    private static KafkaBroker startContainer() {
        KafkaContainer container = new KafkaContainer(IMAGE)
                // Single-node exactly-once: the internal topics cannot have more replicas than brokers.
                .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
                .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
                .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
                .withStartupTimeout(Duration.ofMinutes(2));
        container.start();
        return new Container(container);
    }

    private static final class Embedded implements KafkaBroker {
        private final EmbeddedKafka kafka;

        Embedded(EmbeddedKafka kafka) {
            this.kafka = kafka;
        }

        @Override
        public Kind kind() {
            return Kind.EMBEDDED;
        }

        @Override
        public String bootstrapServers() {
            return kafka.bootstrapServers();
        }

        @Override
        public void createTopics(Collection<NewTopic> topics) {
            kafka.createTopics(topics);
        }

        @Override
        public void close() {
            kafka.close();
        }
    }

    private static final class Container implements KafkaBroker {
        private final KafkaContainer container;

        Container(KafkaContainer container) {
            this.container = container;
        }

        @Override
        public Kind kind() {
            return Kind.CONTAINER;
        }

        @Override
        public String bootstrapServers() {
            return container.getBootstrapServers();
        }

        @Override
        public void createTopics(Collection<NewTopic> topics) {
            EmbeddedKafka.createTopics(container.getBootstrapServers(), topics);
        }

        @Override
        public void close() {
            container.stop();
        }
    }
}
