package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ThreadCpuTest {

    @Test
    void shouldGroupJavaThreadsByTheNamesKafkaGivesThem() {
        assertThat(ThreadCpu.groupOf("bench-1a2b3c4d.vigil-6f1c0e9e-7d7e-4a57-9b7e-0c3f1b2a4d5e-StreamThread-2"))
                .isEqualTo(ThreadCpu.STREAM);
        assertThat(ThreadCpu.groupOf("bench-1a2b3c4d.vigil-6f1c0e9e-7d7e-4a57-9b7e-0c3f1b2a4d5e-GlobalStreamThread"))
                .isEqualTo(ThreadCpu.GLOBAL);
        assertThat(ThreadCpu.groupOf("kafka-producer-network-thread | bench.vigil-6f1c-StreamThread-1-producer"))
                .as("a stream thread's producer is a network thread, not a stream thread")
                .isEqualTo(ThreadCpu.CLIENT_NETWORK);
        assertThat(ThreadCpu.groupOf("kafka-coordinator-heartbeat-thread | bench.vigil"))
                .isEqualTo(ThreadCpu.CLIENT_NETWORK);
        assertThat(ThreadCpu.groupOf("kafka-admin-client-thread | adminclient-1"))
                .isEqualTo(ThreadCpu.CLIENT_NETWORK);
        // Names listed from a running EmbeddedKafka (Kafka 4.3.1).
        for (String broker : List.of(
                "data-plane-kafka-request-handler-7",
                "data-plane-kafka-network-thread-1-EXTERNAL-PLAINTEXT-0",
                "kafka-1-raft-io-thread",
                "kafka-1-metadata-loader-event-handler",
                "quorum-controller-1-event-handler",
                "broker-1-to-controller-heartbeat-channel-manager",
                "ExpirationReaper-1-Produce",
                "kafka-scheduler-3",
                "group-coordinator-event-processor-0",
                "TxnMarkerSenderThread-1",
                "kafka-log-cleaner-thread-0")) {
            assertThat(ThreadCpu.groupOf(broker)).as(broker).isEqualTo(ThreadCpu.BROKER);
        }
        for (String other : List.of("main", "vigil-http-1", "Common-Cleaner", "kafka-streams-close-thread")) {
            assertThat(ThreadCpu.groupOf(other)).as(other).isEqualTo(ThreadCpu.OTHER_JAVA);
        }
    }

    @Test
    void shouldKeepTheBenchsLoadGeneratorsOutOfTheApplication() {
        assertThat(ThreadCpu.groupOf("load-generator-live")).isEqualTo(ThreadCpu.LOAD_GENERATORS);
        assertThat(ThreadCpu.groupOf("kafka-producer-network-thread | load-generator-probe"))
                .as("the generator's producer, not the monitor's client network threads")
                .isEqualTo(ThreadCpu.LOAD_GENERATORS);
        ThreadCpu cpu = new ThreadCpu(
                1_000, Map.of(ThreadCpu.STREAM, 500L, ThreadCpu.BROKER, 200L, ThreadCpu.LOAD_GENERATORS, 100L));
        assertThat(cpu.applicationNanos()).isEqualTo(1_000 - 200 - 100);
    }

    @Test
    void shouldGroupHotSpotsNativeThreadsByTheirKernelNames() {
        assertThat(ThreadCpu.nativeGroupOf("GC Thread#1")).isEqualTo(ThreadCpu.GC);
        assertThat(ThreadCpu.nativeGroupOf("G1 Conc#0")).isEqualTo(ThreadCpu.GC);
        assertThat(ThreadCpu.nativeGroupOf("G1 Refine#0")).isEqualTo(ThreadCpu.GC);
        assertThat(ThreadCpu.nativeGroupOf("C2 CompilerThre")).isEqualTo(ThreadCpu.JIT);
        assertThat(ThreadCpu.nativeGroupOf("C1 CompilerThre")).isEqualTo(ThreadCpu.JIT);
        // Java threads also appear under /proc, truncated: they must not be counted twice.
        assertThat(ThreadCpu.nativeGroupOf("data-plane-kafk")).isNull();
        assertThat(ThreadCpu.nativeGroupOf("bench-1a2b3c4d.")).isNull();
    }

    @Test
    void shouldReadUserAndSystemTicksEvenWhenTheThreadNameHasSpacesAndParentheses() {
        String stat = "4242 (G1 Conc (x) #0) S 4200 4200 1 0 -1 4194368 17 0 0 0 123 45 0 0 20 0 60 0 1 0 0";
        assertThat(ThreadCpu.ticksOf(stat)).isEqualTo(168);
    }

    @Test
    void shouldAttributeAnIntervalsCpuToGroupsAndLeaveTheRestUnattributed() {
        ThreadCpu start =
                new ThreadCpu(1_000_000_000L, Map.of(ThreadCpu.STREAM, 100_000_000L, ThreadCpu.BROKER, 50_000_000L));
        ThreadCpu end = new ThreadCpu(
                4_000_000_000L,
                Map.of(
                        ThreadCpu.STREAM, 1_600_000_000L,
                        ThreadCpu.BROKER, 550_000_000L,
                        ThreadCpu.GC, 200_000_000L));
        ThreadCpu d = end.minus(start);

        assertThat(d.processNanos()).isEqualTo(3_000_000_000L);
        assertThat(d.nanos(ThreadCpu.STREAM)).isEqualTo(1_500_000_000L);
        assertThat(d.nanos(ThreadCpu.BROKER)).isEqualTo(500_000_000L);
        assertThat(d.nanos(ThreadCpu.GC)).isEqualTo(200_000_000L);
        // 3.0 s in total, 2.2 s in groups
        assertThat(d.nanos(ThreadCpu.UNATTRIBUTED)).isEqualTo(800_000_000L);
        assertThat(d.applicationNanos()).isEqualTo(2_500_000_000L);

        List<String> table = ThreadCpu.table(d, 100_000, d, 1_000_000);
        // 1.5 s over 100,000 events = 15 µs; over 1,000,000 = 1.5 µs
        assertThat(table).contains("| stream threads | 15.00 | 1.50 |");
        assertThat(table).contains("| **application (process without the broker)** | 25.00 | 2.50 |");
        assertThat(table).contains("| whole process | 30.00 | 3.00 |");
        assertThat(ThreadCpu.table(d, 100_000, null, 0)).contains("| embedded broker | 5.00 | - |");
    }

    @Test
    void shouldSeeThisThreadsOwnCpuInALiveSnapshot() {
        ThreadCpu before = ThreadCpu.take();
        long x = 0;
        for (int i = 0; i < 50_000_000; i++) {
            x += i ^ (x >>> 3);
        }
        ThreadCpu d = ThreadCpu.take().minus(before);
        assertThat(x).isNotZero();
        assertThat(d.processNanos()).isPositive();
        assertThat(d.nanos(ThreadCpu.OTHER_JAVA)).as("the test's own thread").isPositive();
        assertThat(d.nanos(ThreadCpu.OTHER_JAVA)).isLessThanOrEqualTo(d.processNanos());
    }
}
