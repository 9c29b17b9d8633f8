package io.vigil.app;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * Where the application stands on its input topics: the committed offsets of its consumer group against
 * the read-committed end offsets (transaction markers and aborted records are not input waiting).
 * One Admin client, closed with this.
 */
final class InputProgress implements AutoCloseable {
    private static final long TIMEOUT_SECONDS = 10;

    /** Lag (records waiting) and the sum of committed offsets, over every input partition. */
    record Sample(long lag, long committed) {}

    private final Admin admin;
    private final String groupId;
    private final List<String> topics;

    InputProgress(Map<String, Object> adminSettings, String groupId, List<String> topics) {
        this.admin = Admin.create(adminSettings);
        this.groupId = groupId;
        this.topics = List.copyOf(topics);
    }

    Sample sample() throws ExecutionException, TimeoutException, InterruptedException {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
                .partitionsToOffsetAndMetadata()
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        admin.describeTopics(topics)
                .allTopicNames()
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .forEach((name, d) -> d.partitions()
                        .forEach(p -> latest.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
        Map<TopicPartition, Long> ends = new HashMap<>();
        admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                .all()
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .forEach((tp, info) -> ends.put(tp, info.offset()));
        long lag = 0;
        long sum = 0;
        for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            long position = c == null ? 0 : c.offset();
            lag += Math.max(0, e.getValue() - position);
            sum += position;
        }
        return new Sample(lag, sum);
    }

    @Override
    public void close() {
        admin.close(java.time.Duration.ofSeconds(5));
    }
}
