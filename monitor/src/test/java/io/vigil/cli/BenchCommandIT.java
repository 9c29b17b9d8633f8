package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code vigil bench} end to end on a small input, against its embedded broker: the command behind every
 * figure in docs/benchmarks.md must run, account for every record it produced, and report each figure from a
 * real measurement (a yardstick that never ran, a store or topic directory that was not found, or a heap
 * reading without a full GC would show here).
 */
class BenchCommandIT {

    @Test
    void shouldAccountForEveryRecordAndMeasureEachFigure() {
        String out = bench("--predictions", "3000", "--timeout", "240", "--set", "outcomes.join.co-partitioned=true");

        Matcher produced = find(out, "produced ([\\d,]+) predictions and ([\\d,]+) labels");
        assertThat(number(produced.group(1))).isEqualTo(3000);
        long labels = number(produced.group(2));
        assertThat(labels).isPositive();
        Matcher joined = find(out, "labels: ([\\d,]+) of ([\\d,]+) taken in by the outcome join");
        assertThat(number(joined.group(1))).isEqualTo(labels);
        assertThat(number(joined.group(2))).isEqualTo(labels);
        assertThat(find(out, "vigil \\(exactly_once_v2, 2 partitions, 2 threads\\): ([\\d,]+) predictions")
                        .group(1))
                .isEqualTo("3,000");

        assertThat(number(find(out, "plain consumer: ([\\d,]+) records/s").group(1)))
                .isPositive();
        assertThat(number(find(
                                out,
                                "no-op Kafka Streams application \\(exactly_once_v2, 2 threads, both topics, "
                                        + "counts only\\): ([\\d,]+) events/s")
                        .group(1)))
                .isPositive();
        // Both disk figures must come from files that exist: the join's RocksDB SST files and the changelog's
        // log segments on the embedded broker (one record per prediction at least, lz4-compressed).
        assertThat(number(find(out, "outcome-join prediction store on disk: ([\\d,]+) bytes")
                        .group(1)))
                .isPositive();
        assertThat(number(find(out, "its changelog on the broker, [^:]*: ([\\d,]+) bytes")
                        .group(1)))
                .isGreaterThan(3000L * 10);
        assertThat(number(find(out, "the join's other stores on disk: expiry index ([\\d,]+) bytes")
                        .group(1)))
                .isPositive();
        // The broker's bytes: the inputs hold at least a byte per record, and the monitor wrote at least its join
        // changelog (counted above) on top of them.
        Matcher segments = find(
                out,
                "broker log segments: the input topics ([\\d,]+) bytes .*, the topics Vigil wrote ([\\d,]+) bytes");
        assertThat(number(segments.group(1))).isGreaterThan(3000L + labels);
        assertThat(number(segments.group(2)))
                .isGreaterThan(number(find(out, "its changelog on the broker, [^:]*: ([\\d,]+) bytes")
                        .group(1)));
        assertThat(out).contains("heap used after a full GC").doesNotContain("without a confirmed full GC");

        // CPU per event by thread group, for both applications: the stream threads and the broker did work in
        // each, and the monitor's application share is the process without the broker.
        Matcher stream = find(out, "\\| stream threads \\| ([\\d.]+) \\| ([\\d.]+) \\|");
        assertThat(Double.parseDouble(stream.group(1))).isPositive();
        assertThat(Double.parseDouble(stream.group(2))).isPositive();
        Matcher broker = find(out, "\\| embedded broker \\| ([\\d.]+) \\| ([\\d.]+) \\|");
        Matcher app = find(out, "\\| \\*\\*application \\(process without the broker\\)\\*\\* \\| ([\\d.]+) \\|");
        Matcher whole = find(out, "\\| whole process \\| ([\\d.]+) \\|");
        assertThat(Double.parseDouble(broker.group(1))).isPositive();
        assertThat(Double.parseDouble(app.group(1)) + Double.parseDouble(broker.group(1)))
                .isCloseTo(Double.parseDouble(whole.group(1)), org.assertj.core.api.Assertions.within(0.02));
    }

    /**
     * Two instances of one application with a standby each ({@code --instances 2}, the scaling figures): both
     * take active tasks and keep standbys, and the counts added over them are the records produced, no more (a
     * standby or a task that moved, counted twice, would show here) and no fewer.
     */
    @Test
    void shouldShareTheWorkBetweenTwoInstancesAndCountEachRecordOnce(@TempDir Path state) {
        String out = bench(
                "--predictions",
                "3000",
                "--timeout",
                "240",
                "--no-floor",
                "--partitions",
                "4",
                "--threads",
                "1",
                "--instances",
                "2",
                "--set",
                "num.standby.replicas=1",
                "--set",
                "state.dir=" + state);
        long labels = number(
                find(out, "produced 3,000 predictions and ([\\d,]+) labels").group(1));
        assertThat(find(out, "vigil \\(exactly_once_v2, 4 partitions, 1 threads, 2 instances\\): ([\\d,]+) predictions")
                        .group(1))
                .isEqualTo("3,000");
        Matcher joined = find(out, "labels: ([\\d,]+) of ([\\d,]+) taken in by the outcome join");
        assertThat(number(joined.group(1))).isEqualTo(labels);
        Matcher tasks = find(
                out,
                "tasks at the end: instance 0: (\\d+) active, (\\d+) standby; instance 1: (\\d+) active, (\\d+) standby");
        for (int group = 1; group <= 4; group++) {
            assertThat(Integer.parseInt(tasks.group(group))).as(tasks.group()).isPositive();
        }
        // A stateful task has one standby, on the instance where it is not active; a stateless task has none.
        assertThat(Integer.parseInt(tasks.group(2)) + Integer.parseInt(tasks.group(4)))
                .isLessThanOrEqualTo(Integer.parseInt(tasks.group(1)) + Integer.parseInt(tasks.group(3)));
        assertThat(out).contains("standby copies included");
        // a state.dir given with --set is the parent of one directory per instance, not shared by both
        assertThat(state.resolve("instance-0")).isDirectory();
        assertThat(state.resolve("instance-1")).isDirectory();
    }

    /**
     * {@code --latency-labels}: every probe prediction and every probe label is seen in the widest window that
     * {@code /metrics} exports (after the export budget, metrics.windows 7d and 30d by default, the bench once kept
     * reading the 90d window, which is computed but not exported, and printed "not measured" with nothing to show
     * it, as no test ran it).
     */
    @Test
    void shouldSeeEveryProbePredictionAndLabelInTheWidestExportedWindows() {
        String out = bench(
                "--predictions",
                "3000",
                "--timeout",
                "240",
                "--no-floor",
                "--latency-labels",
                "5",
                "--latency-rate",
                "2",
                "--set",
                "drift.flush-interval-ms=1000",
                "--set",
                "drift.snapshot-interval-ms=1000",
                "--set",
                "outcomes.flush-interval-ms=1000",
                "--set",
                "outcomes.snapshot-interval-ms=1000");
        assertThat(out)
                .doesNotContain("not measured")
                .doesNotContain("live load:")
                .doesNotContain("under live load");
        Matcher predictions = find(
                out,
                "prediction latency to /metrics \\(5 predictions at 2.00/s, vigil_window_predictions\\{model=\"latency-probe\","
                        + "slice=\"all\",window=\"30d\"\\}.*p99 ([\\d.]+) s.*\\((\\d+) of 5 seen\\)");
        assertThat(predictions.group(2)).isEqualTo("5");
        Matcher labels = find(
                out,
                "label latency to /metrics \\(5 labels at 2.00/s, vigil_window_labelled\\{model=\"latency-probe\","
                        + "slice=\"all\",window=\"30d\"\\}.*p99 ([\\d.]+) s.*\\((\\d+) of 5 seen\\)");
        assertThat(labels.group(2)).isEqualTo("5");
        // at least a commit's wait, at most a few flush and snapshot intervals
        assertThat(Double.parseDouble(predictions.group(1))).isBetween(0.05, 60.0);
        assertThat(Double.parseDouble(labels.group(1))).isBetween(0.05, 60.0);
    }

    /**
     * The latency under live load ({@code --live-rate}, issue 20 Must 4): a second model streams at the asked rate
     * from before the probes' warm-up to the end, and every probe is still seen: the probe model's counts move with
     * its own records only, whatever the live model sends. The monitor's CPU over the measurement leaves the load
     * generators' threads out.
     */
    @Test
    void shouldSeeEveryProbeWhileASecondModelStreamsLive() {
        String out = bench(
                "--predictions",
                "3000",
                "--timeout",
                "240",
                "--no-floor",
                "--latency-labels",
                "5",
                "--latency-rate",
                "2",
                "--live-rate",
                "200",
                "--set",
                "drift.flush-interval-ms=1000",
                "--set",
                "drift.snapshot-interval-ms=1000",
                "--set",
                "outcomes.flush-interval-ms=1000",
                "--set",
                "outcomes.snapshot-interval-ms=1000");
        Matcher live = find(
                out,
                "live load: ([\\d,]+) predictions and ([\\d,]+) labels of model live-load in (\\d+) s \\(([\\d,]+) predictions/s");
        // it streams from its templates (built in a second or two) to the end: the probes' 20 warm-up predictions and
        // 5 ticks take 12.5 s
        assertThat(number(live.group(1))).isGreaterThan(200L * 5);
        assertThat(number(live.group(2))).isPositive();
        assertThat(number(live.group(4))).isBetween(150L, 210L);
        assertThat(out).doesNotContain("FAILED").doesNotContain("not measured");
        assertThat(find(out, "prediction latency to /metrics under live load \\(5 predictions.*\\((\\d+) of 5 seen\\)")
                        .group(1))
                .isEqualTo("5");
        assertThat(find(out, "label latency to /metrics under live load \\(5 labels.*\\((\\d+) of 5 seen\\)")
                        .group(1))
                .isEqualTo("5");
        Matcher cpu = find(
                out,
                "during the measurement .*: ([\\d,]+) events .*stream threads ([\\d.]+) µs, application ([\\d.]+) µs "
                        + "\\(the load generators' ([\\d.]+) µs apart\\)");
        assertThat(number(cpu.group(1))).isGreaterThan(200L * 2);
        assertThat(Double.parseDouble(cpu.group(2))).isPositive();
        assertThat(Double.parseDouble(cpu.group(3))).isGreaterThanOrEqualTo(Double.parseDouble(cpu.group(2)));
        assertThat(Double.parseDouble(cpu.group(4))).isPositive();
    }

    @Test
    void shouldRefuseNoInstancesBeforeStartingAnything() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine command = new CommandLine(new BenchCommand());
        command.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
        assertThat(command.execute("--instances", "0")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--instances must be at least 1, got 0");
    }

    /** Runs {@code vigil bench} with these arguments, its output on the console and returned; it must exit 0. */
    private static String bench(String... args) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int exit;
        System.setOut(new PrintStream(new Tee(original, captured), true, StandardCharsets.UTF_8));
        try {
            exit = new CommandLine(new BenchCommand()).execute(args);
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(out).isZero();
        return out;
    }

    private static Matcher find(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("output has /%s/:%n%s", regex, text).isTrue();
        return m;
    }

    private static long number(String digits) {
        return Long.parseLong(digits.replace(",", ""));
    }

    /** Writes to both streams: the console keeps the run's output, the buffer is checked. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) throws java.io.IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
