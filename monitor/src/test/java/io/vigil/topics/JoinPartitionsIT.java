package io.vigil.topics;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.testing.KafkaBroker;
import io.vigil.testing.RealKafka;
import io.vigil.testing.Tools;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The outcome join's partition of a prediction id is where real producers put a record keyed by it: the Java
 * producer's default partitioner (also Kafka Streams' for repartition topics) and librdkafka's
 * {@code partitioner=murmur2_random} (kcat, and the C, Python, Go and .NET clients), for ids of every length and
 * script, on topics of 2, 3, 7 and 16 partitions. Were it not, a record judged in place would wait for its other
 * half in another task. librdkafka's default partitioner ({@code consistent_random}, CRC32) puts most of them
 * elsewhere: those records take the join's repartition topic, which is why {@code vigil doctor} names the setting.
 */
@RealKafka
class JoinPartitionsIT {
    private static final int[] PARTITIONS = {2, 3, 7, 16};

    /** 600 ids: ASCII, Latin-1, CJK and astral code points, 0 to 40 characters, so every tail length of the hash. */
    private static List<String> ids() {
        Random random = new Random(20261205L);
        List<String> ids = new ArrayList<>(List.of("a", "ab", "abc", "abcd", "p-1", "é-1", "患者-7", "🩻-x"));
        while (ids.size() < 600) {
            StringBuilder b = new StringBuilder();
            int length = 1 + random.nextInt(40);
            for (int j = 0; j < length; j++) {
                int kind = random.nextInt(10);
                if (kind < 7) {
                    b.append((char) (0x21 + random.nextInt(0x5e)));
                } else if (kind < 8) {
                    b.append((char) (0xa1 + random.nextInt(0x5f)));
                } else if (kind < 9) {
                    b.append((char) (0x4e00 + random.nextInt(0x5000)));
                } else {
                    b.appendCodePoint(0x1f300 + random.nextInt(0x300));
                }
            }
            ids.add(b.toString());
        }
        return ids;
    }

    @Test
    void shouldGiveEveryIdThePartitionTheJavaProducerGivesARecordKeyedByIt(KafkaBroker kafka) throws Exception {
        List<String> ids = ids();
        String prefix = "join-partitions-java-" + UUID.randomUUID() + "-";
        // Not idempotent: the partitioner does not depend on it, and an idempotent producer's first batches to
        // a just-created topic can loop on OUT_OF_ORDER_SEQUENCE_NUMBER on this single broker.
        Map<String, Object> settings =
                Map.of("bootstrap.servers", kafka.bootstrapServers(), "enable.idempotence", false, "acks", "all");
        for (int partitions : PARTITIONS) {
            String topic = prefix + partitions;
            kafka.createTopics(List.of(new NewTopic(topic, partitions, (short) 1)));
            try (KafkaProducer<String, String> producer =
                    new KafkaProducer<>(settings, new StringSerializer(), new StringSerializer())) {
                List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
                for (String id : ids) {
                    sent.add(producer.send(new ProducerRecord<>(topic, id, "v")));
                }
                for (int i = 0; i < ids.size(); i++) {
                    assertThat(sent.get(i).get(30, TimeUnit.SECONDS).partition())
                            .as("partition of id %d among %d", i, partitions)
                            .isEqualTo(JoinPartitions.partitionOf(ids.get(i), partitions));
                }
            }
        }
    }

    @Test
    void shouldGiveEveryIdThePartitionLibrdkafkasMurmur2PartitionerGivesIt(KafkaBroker kafka) throws Exception {
        Tools.require("kcat", "kcat");
        List<String> ids = ids();
        String prefix = "join-partitions-kcat-" + UUID.randomUUID() + "-";
        for (int partitions : PARTITIONS) {
            Map<String, Integer> murmur2 =
                    sendWithKcat(kafka, prefix + "m" + partitions, partitions, ids, "murmur2_random");
            Map<String, Integer> crc32 = sendWithKcat(kafka, prefix + "c" + partitions, partitions, ids, null);
            assertThat(murmur2).hasSize(ids.size());
            long crcInPlace = 0;
            for (String id : ids) {
                int join = JoinPartitions.partitionOf(id, partitions);
                assertThat(murmur2.get(id))
                        .as("murmur2_random partition of %s among %d", id, partitions)
                        .isEqualTo(join);
                crcInPlace += crc32.get(id) == join ? 1 : 0;
            }
            // With librdkafka's default only about 1 in N lands in place.
            assertThat(crcInPlace)
                    .as("consistent_random in place among %d", partitions)
                    .isLessThan(ids.size() * 3L / 4);
        }
    }

    /** Sends "id<TAB>v" lines with kcat keyed by id, then reads back where each went. */
    private static Map<String, Integer> sendWithKcat(
            KafkaBroker kafka, String topic, int partitions, List<String> ids, String partitioner) throws Exception {
        kafka.createTopics(List.of(new NewTopic(topic, partitions, (short) 1)));
        List<String> command = new ArrayList<>(
                List.of("kcat", "-P", "-b", kafka.bootstrapServers(), "-t", topic, "-K", "\t", "-z", "none"));
        if (partitioner != null) {
            command.addAll(List.of("-X", "partitioner=" + partitioner));
        }
        Process kcat = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder input = new StringBuilder();
        ids.forEach(id -> input.append(id).append('\t').append("v\n"));
        kcat.getOutputStream().write(input.toString().getBytes(StandardCharsets.UTF_8));
        kcat.getOutputStream().close();
        String output = new String(kcat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(kcat.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(kcat.exitValue()).as("kcat: %s", output).isZero();

        Map<String, Integer> where = new HashMap<>();
        Map<String, Object> settings = Map.of("bootstrap.servers", kafka.bootstrapServers());
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(settings, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                tps.add(new TopicPartition(topic, p));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (where.size() < ids.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    where.put(r.key(), r.partition());
                }
            }
        }
        return where;
    }
}
