package io.vigil.cli;

import io.vigil.app.Monitor;
import io.vigil.config.VigilConfig;
import io.vigil.topics.Input;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.kafka.streams.ThreadMetadata;

/**
 * The monitors {@code vigil bench --instances N} runs in one JVM, one per configuration (one application.id, a
 * state.dir each), and their counts added up. Each instance counts the records of its own active tasks only
 * (standby copies count nothing), so the sums over instances are the application's counts once the tasks have
 * settled.
 */
final class MonitorInstances implements AutoCloseable {

    private final List<Monitor> monitors = new ArrayList<>();

    MonitorInstances(List<VigilConfig> configs) throws IOException {
        try {
            for (VigilConfig config : configs) {
                monitors.add(new Monitor(config));
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    Monitor first() {
        return monitors.get(0);
    }

    void start() {
        monitors.forEach(Monitor::start);
    }

    boolean anyRunning() {
        return monitors.stream().anyMatch(Monitor::isRunning);
    }

    boolean anyFailed() {
        return monitors.stream().anyMatch(Monitor::failed);
    }

    String states() {
        return monitors.stream().map(m -> m.state().toString()).collect(Collectors.joining(", "));
    }

    long predictionsReceivedByIngest() {
        return monitors.stream()
                .mapToLong(m -> m.ingestMetrics().received(Input.PREDICTIONS))
                .sum();
    }

    long predictionsReceivedByJoin() {
        return monitors.stream()
                .mapToLong(m -> m.outcomeJoinMetrics().predictionsReceived())
                .sum();
    }

    long labelsSettled() {
        return monitors.stream()
                .mapToLong(m -> m.outcomeJoinMetrics().labelsSettled())
                .sum();
    }

    /** Active and standby task counts per instance, e.g. {@code instance 0: 14 active, 14 standby; ...}. */
    String tasks() {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < monitors.size(); i++) {
            int active = 0;
            int standby = 0;
            for (ThreadMetadata thread : monitors.get(i).streams().metadataForLocalThreads()) {
                active += thread.activeTasks().size();
                standby += thread.standbyTasks().size();
            }
            parts.add(String.format("instance %d: %d active, %d standby", i, active, standby));
        }
        return String.join("; ", parts);
    }

    @Override
    public void close() {
        monitors.forEach(Monitor::close);
    }
}
