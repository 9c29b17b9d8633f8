package io.vigil.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * The benchmark's second yardstick: a Kafka Streams application that reads the same input topics
 * under the same processing guarantee and thread count as the monitor, and only counts the records.
 * Its rate is what the Kafka Streams runtime itself (polling, record queues, task scheduling,
 * transactions and offset commits) costs on this machine and broker, before any work of Vigil's: the
 * ceiling of any Kafka Streams application here, which the plain consumer's rate is not.
 */
final class StreamsFloor {
    private StreamsFloor() {}

    /**
     * What a run measured: records per second from the moment it was RUNNING (NaN on timeout), and the JVM's CPU
     * by thread group from just before the application started until it had seen every record (before it closed,
     * so that its stream threads still count), over {@code events} records.
     */
    record Result(double rate, ThreadCpu cpu, long events) {}

    /**
     * Runs the counting application on {@code topics} from the beginning until it has seen
     * {@code expected} records (or {@code timeout} passed).
     */
    static Result run(
            String bootstrap,
            List<String> topics,
            long expected,
            String guarantee,
            int threads,
            Path stateDir,
            String applicationId,
            Duration timeout)
            throws InterruptedException {
        AtomicLong seen = new AtomicLong();
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(topics, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .processValues(() -> new Count(seen));
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
        // The monitor's commit interval (VigilConfig.streamsProperties), so both pay the same per-commit cost.
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaStreams streams = new KafkaStreams(builder.build(), p)) {
            ThreadCpu before = ThreadCpu.take();
            streams.start();
            while (streams.state() != KafkaStreams.State.RUNNING) {
                if (System.nanoTime() > deadline || !streams.state().isRunningOrRebalancing()) {
                    return new Result(Double.NaN, ThreadCpu.take().minus(before), seen.get());
                }
                Thread.sleep(10);
            }
            long t0 = System.nanoTime();
            while (seen.get() < expected) {
                if (System.nanoTime() > deadline) {
                    return new Result(Double.NaN, ThreadCpu.take().minus(before), seen.get());
                }
                Thread.sleep(20);
            }
            double rate = seen.get() / ((System.nanoTime() - t0) / 1e9);
            ThreadCpu cpu = ThreadCpu.take().minus(before);
            streams.close(Duration.ofSeconds(30));
            streams.cleanUp();
            return new Result(rate, cpu, seen.get());
        }
    }

    /** Counts each record and drops it. */
    private static final class Count implements FixedKeyProcessor<byte[], byte[], byte[]> {
        private final AtomicLong seen;

        Count(AtomicLong seen) {
            this.seen = seen;
        }

        @Override
        public void init(FixedKeyProcessorContext<byte[], byte[]> context) {
            // nothing to forward to
        }

        @Override
        public void process(FixedKeyRecord<byte[], byte[]> record) {
            seen.incrementAndGet();
        }
    }
}
