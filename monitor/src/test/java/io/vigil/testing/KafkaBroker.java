package io.vigil.testing;

import java.util.Collection;
import java.util.List;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * A real Kafka broker for integration tests: a Testcontainers container where Docker is available,
 * otherwise an in-JVM KRaft broker. Either way a single node configured for exactly-once (transaction
 * state log replication factor 1, min ISR 1) with automatic topic creation disabled.
 *
 * <p>Obtain one with {@link KafkaBrokers#start()}, or as a test parameter through {@link RealKafka}.
 */
public interface KafkaBroker extends AutoCloseable {

    /** What runs the broker. */
    enum Kind {
        /** {@code apache/kafka} image through Testcontainers. */
        CONTAINER,
        /** {@link io.vigil.broker.EmbeddedKafka} in this JVM. */
        EMBEDDED,
        /** {@link KafkaProcess}: {@code kafka.Kafka} in its own JVM, which a test can kill and restart. */
        PROCESS
    }

    /** @return which implementation runs this broker */
    Kind kind();

    /** @return the {@code bootstrap.servers} value for clients */
    String bootstrapServers();

    /**
     * Creates topics and waits until they exist; topics that already exist are left as they are.
     *
     * @param topics topics to create, replication factor at most 1
     */
    void createTopics(Collection<NewTopic> topics);

    /**
     * Creates one topic and waits until it exists.
     *
     * @param name       topic name
     * @param partitions number of partitions
     */
    default void createTopic(String name, int partitions) {
        createTopics(List.of(new NewTopic(name, partitions, (short) 1)));
    }

    /** Stops the broker and releases its ports and storage. Idempotent. */
    @Override
    void close();
}
