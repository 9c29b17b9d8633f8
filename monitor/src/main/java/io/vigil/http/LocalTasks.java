package io.vigil.http;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;

/**
 * The Kafka Streams tasks of this instance, as {@code /api/status} reports them: active tasks process
 * their input partitions; standby tasks keep warm copies of state whose active task runs on another
 * instance. Instances with the same {@code application.id} split the active tasks between them, so the
 * active lists of all instances are disjoint and together cover every task.
 *
 * @param active  active task ids with their input partitions, in task id order
 * @param standby standby task ids with the partitions of the active task they mirror, in task id order
 */
public record LocalTasks(List<Task> active, List<Task> standby) {

    /**
     * One task.
     *
     * @param id         {@code <subtopology>_<partition>}, e.g. {@code 3_1}
     * @param partitions the task's input topic partitions, ordered by topic and partition
     */
    public record Task(String id, List<Partition> partitions) {
        public Task {
            Objects.requireNonNull(id, "id");
            partitions = List.copyOf(partitions);
        }
    }

    /** One input topic partition of a task. */
    public record Partition(String topic, int partition) {}

    public LocalTasks {
        active = List.copyOf(active);
        standby = List.copyOf(standby);
    }

    /** No tasks (an instance that is not part of a group, or a test without Kafka Streams). */
    public static LocalTasks none() {
        return new LocalTasks(List.of(), List.of());
    }

    /** The tasks of every local stream thread, from {@code KafkaStreams.metadataForLocalThreads()}. */
    public static LocalTasks of(Collection<ThreadMetadata> threads) {
        return new LocalTasks(
                tasks(threads, ThreadMetadata::activeTasks), tasks(threads, ThreadMetadata::standbyTasks));
    }

    private static List<Task> tasks(
            Collection<ThreadMetadata> threads, Function<ThreadMetadata, Collection<TaskMetadata>> which) {
        List<TaskMetadata> all = new ArrayList<>();
        threads.forEach(t -> all.addAll(which.apply(t)));
        all.sort(Comparator.comparing(TaskMetadata::taskId));
        List<Task> out = new ArrayList<>(all.size());
        for (TaskMetadata m : all) {
            List<Partition> partitions = new ArrayList<>();
            m.topicPartitions().forEach(tp -> partitions.add(new Partition(tp.topic(), tp.partition())));
            partitions.sort(Comparator.comparing(Partition::topic).thenComparingInt(Partition::partition));
            out.add(new Task(m.taskId().toString(), partitions));
        }
        return out;
    }
}
