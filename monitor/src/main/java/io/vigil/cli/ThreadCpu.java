package io.vigil.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU time of this JVM by thread group, for {@code vigil bench}'s CPU-per-event table (issue 20, Must 1).
 *
 * <p>Java threads are read through {@link ThreadMXBean#getThreadCpuTime} and grouped by their full names
 * ({@link #groupOf}). The JVM's own native threads (garbage collection, the JIT compilers) are not Java threads:
 * on Linux they are read from {@code /proc/self/task/<tid>/stat} (user + system ticks) and grouped by the
 * kernel's 15-character thread name ({@link #nativeGroupOf}); elsewhere they stay inside {@link #UNATTRIBUTED}.
 * The process total comes from {@code com.sun.management.OperatingSystemMXBean#getProcessCpuTime}; what no group
 * explains (other VM threads, and threads that ended between two snapshots) is {@link #UNATTRIBUTED}, so the groups
 * always add up to the total.
 *
 * <p>A snapshot is cumulative; {@link #minus} gives the CPU of an interval. A thread that starts inside the
 * interval counts from zero; one that ends inside it loses its per-group share (not its share of the total),
 * so a bench takes its end snapshot before it closes what it measured.
 */
record ThreadCpu(long processNanos, Map<String, Long> groupNanos) {
    static final String STREAM = "stream threads";
    static final String GLOBAL = "global stream thread";
    static final String CLIENT_NETWORK = "Kafka client network threads";
    static final String BROKER = "embedded broker";
    static final String GC = "GC";
    static final String JIT = "JIT compilers";
    static final String OTHER_JAVA = "other Java threads";
    static final String UNATTRIBUTED = "VM and ended threads";
    static final String LOAD_GENERATORS = "bench load generators";
    static final List<String> GROUPS =
            List.of(STREAM, GLOBAL, CLIENT_NETWORK, OTHER_JAVA, GC, JIT, UNATTRIBUTED, BROKER, LOAD_GENERATORS);

    /**
     * The start of the names of the bench's own producing threads during a live measurement and of their producers'
     * client ids (a producer's network thread is {@code kafka-producer-network-thread | <client.id>}): their CPU is
     * the load's, not the monitor's.
     */
    static final String LOAD_GENERATOR_PREFIX = "load-generator-";

    /** Linux's USER_HZ, the unit of {@code /proc} CPU times: 100 on every mainstream architecture. */
    private static final long TICK_NANOS = 10_000_000L;

    ThreadCpu {
        groupNanos = Map.copyOf(groupNanos);
    }

    /**
     * The group of a Java thread by its name. Kafka Streams names its threads {@code <client>-StreamThread-<n>}
     * and {@code <client>-GlobalStreamThread}, and each client's producer/consumer/admin network threads start with
     * {@code kafka-producer-network-thread}, {@code kafka-coordinator-heartbeat-thread},
     * {@code consumer_background_thread} or {@code kafka-admin-client-thread}. The embedded KRaft broker's threads
     * are recognised by the names Kafka gives them (request handlers, network processors, the Raft and controller
     * threads, schedulers, purgatory reapers, the log cleaner, coordinators' executors).
     */
    static String groupOf(String name) {
        if (name.startsWith(LOAD_GENERATOR_PREFIX) || name.contains("| " + LOAD_GENERATOR_PREFIX)) {
            return LOAD_GENERATORS;
        }
        // First: a stream thread's producer network thread carries the stream thread's name after "|".
        if (name.startsWith("kafka-producer-network-thread")
                || name.startsWith("kafka-coordinator-heartbeat-thread")
                || name.startsWith("consumer_background_thread")
                || name.startsWith("kafka-admin-client-thread")) {
            return CLIENT_NETWORK;
        }
        if (name.contains("-StreamThread-")) {
            return STREAM;
        }
        if (name.endsWith("-GlobalStreamThread")) {
            return GLOBAL;
        }
        return isBroker(name) ? BROKER : OTHER_JAVA;
    }

    /** The thread names of Kafka 4.3's in-JVM KRaft broker (listed from a running {@code EmbeddedKafka}). */
    private static final List<String> BROKER_PREFIXES = List.of(
            "data-plane-kafka-",
            "kafka-scheduler-",
            "kafka-log-cleaner-thread",
            "kafka-cluster-test-kit",
            "quorum-controller-",
            "broker-",
            "controller-",
            "raft-expiration-reaper",
            "ExpirationReaper-",
            "LogDirFailureHandler",
            "AddPartitionsToTxnSenderThread",
            "TxnMarkerSenderThread",
            "transaction-log-manager",
            "group-coordinator-",
            "share-coordinator-",
            "share-group-lock-timeout-reaper",
            "PersisterStateManager",
            "persister-state-manager-reaper",
            "client-metrics-reaper",
            "network-partition-metadata-client-reaper",
            "metrics-meter-tick-thread");

    private static final java.util.regex.Pattern KRAFT = java.util.regex.Pattern.compile("kafka-\\d+-.*");

    private static boolean isBroker(String name) {
        for (String p : BROKER_PREFIXES) {
            if (name.startsWith(p)) {
                return true;
            }
        }
        // kafka-<node id>-raft-io-thread, -metadata-loader-event-handler, -snapshot-generator-event-handler, ...
        return KRAFT.matcher(name).matches();
    }

    /**
     * The group of a native (non-Java) HotSpot thread by its kernel name, or null when it is none of the
     * recognised ones: HotSpot's collectors name theirs {@code GC Thread#n}, {@code G1 Conc#n},
     * {@code G1 Refine#n}, {@code G1 Main Marker}, {@code G1 Service}, {@code ZWorker}, {@code Shenandoah...}, and
     * its compilers {@code C1 CompilerThre} and {@code C2 CompilerThre} (truncated to 15 characters by Linux).
     */
    static String nativeGroupOf(String comm) {
        if (comm.startsWith("GC Thread")
                || comm.startsWith("G1 ")
                || comm.startsWith("ZWorker")
                || comm.startsWith("ZDirector")
                || comm.startsWith("Shenandoah")
                || comm.startsWith("VM Thread")) {
            // The VM thread runs the safepoint operations of stop-the-world collections (and little else
            // while a stream is processed): counted with GC.
            return GC;
        }
        if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
            return JIT;
        }
        return null;
    }

    /** This JVM's cumulative CPU now. */
    static ThreadCpu take() {
        long process = processCpuNanos();
        Map<String, Long> groups = new LinkedHashMap<>();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long[] ids = threads.getAllThreadIds();
        ThreadInfo[] infos = threads.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            long cpu = threads.isThreadCpuTimeSupported() ? threads.getThreadCpuTime(ids[i]) : -1;
            if (infos[i] != null && cpu > 0) {
                groups.merge(groupOf(infos[i].getThreadName()), cpu, Long::sum);
            }
        }
        nativeThreads().forEach((g, nanos) -> groups.merge(g, nanos, Long::sum));
        return new ThreadCpu(process, groups);
    }

    /** GC and JIT CPU from {@code /proc/self/task}; empty where there is no such directory. */
    private static Map<String, Long> nativeThreads() {
        Map<String, Long> out = new LinkedHashMap<>();
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return out;
        }
        try (Stream<Path> list = Files.list(tasks)) {
            for (Path task : list.toList()) {
                try {
                    String group =
                            nativeGroupOf(Files.readString(task.resolve("comm")).strip());
                    if (group != null) {
                        out.merge(group, ticksOf(Files.readString(task.resolve("stat"))) * TICK_NANOS, Long::sum);
                    }
                } catch (IOException e) {
                    // the thread ended while being read
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    /** utime + stime (fields 14 and 15) of a {@code /proc/<pid>/task/<tid>/stat} line; the name may hold spaces. */
    static long ticksOf(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        // f[0] is field 3 (state), so field n is f[n - 3]
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /**
     * The CPU spent between {@code earlier} and this snapshot, by group; {@link #UNATTRIBUTED} takes what the
     * total has and the groups do not (never negative: a group whose threads ended may show less than it used).
     */
    ThreadCpu minus(ThreadCpu earlier) {
        Map<String, Long> out = new LinkedHashMap<>();
        long attributed = 0;
        for (String g : GROUPS) {
            if (g.equals(UNATTRIBUTED)) {
                continue;
            }
            long d = Math.max(0, groupNanos.getOrDefault(g, 0L) - earlier.groupNanos.getOrDefault(g, 0L));
            out.put(g, d);
            attributed += d;
        }
        long process = processNanos - earlier.processNanos;
        out.put(UNATTRIBUTED, Math.max(0, process - attributed));
        return new ThreadCpu(process, out);
    }

    long nanos(String group) {
        return groupNanos.getOrDefault(group, 0L);
    }

    /**
     * The process total without the embedded broker's threads and the bench's load generators: what the
     * application itself cost.
     */
    long applicationNanos() {
        return processNanos - nanos(BROKER) - nanos(LOAD_GENERATORS);
    }

    /**
     * A Markdown table of microseconds of CPU per event by group, for the monitor and (when {@code floor} is not
     * null) the no-op Kafka Streams application, each over its own interval and events.
     */
    static List<String> table(ThreadCpu vigil, long vigilEvents, ThreadCpu floor, long floorEvents) {
        List<String> rows = new ArrayList<>();
        rows.add("| CPU µs per event | vigil | no-op Kafka Streams app |");
        rows.add("|---|---:|---:|");
        for (String g : GROUPS) {
            rows.add(row(g, vigil.nanos(g), vigilEvents, floor == null ? -1 : floor.nanos(g), floorEvents));
        }
        rows.add(row(
                "**application (process without the broker)**",
                vigil.applicationNanos(),
                vigilEvents,
                floor == null ? -1 : floor.applicationNanos(),
                floorEvents));
        rows.add(row(
                "whole process",
                vigil.processNanos(),
                vigilEvents,
                floor == null ? -1 : floor.processNanos(),
                floorEvents));
        return rows;
    }

    private static String row(String name, long vigilNanos, long vigilEvents, long floorNanos, long floorEvents) {
        return String.format(
                "| %s | %s | %s |", name, perEvent(vigilNanos, vigilEvents), perEvent(floorNanos, floorEvents));
    }

    static String perEvent(long nanos, long events) {
        if (nanos < 0 || events <= 0) {
            return "-";
        }
        return String.format("%.2f", nanos / 1e3 / events);
    }
}
