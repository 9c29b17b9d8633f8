package io.vigil.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.events.ModelRef;
import io.vigil.topology.DriftAggregate;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * One-off writer of the DataSketches 6.2 serial-format fixtures in
 * {@code src/test/resources/compat/datasketches-6.2/}, run once on the code as it was before the
 * move to DataSketches 9 (Java 17, DataSketches 6.2.0):
 * {@code ./mvnw -o -B -q -pl monitor test -Dtest=DataSketches62FixtureWriter}. Not a test (its name does
 * not end in Test, so the suite never runs it); it is removed again by the commit that upgrades the library,
 * since running it afterwards would write DataSketches 9 bytes. The data is the formula in
 * {@code SketchSerialFormatCompatibilityTest} (its javadoc says which).
 */
class DataSketches62FixtureWriter {
    static final int N = 20011; // prime, so i -> i * 7919 mod N is a permutation of 0..N-1
    private static final Instant NOW = Instant.parse("2026-12-04T00:00:00Z");

    static List<String> csv() {
        List<String> lines = new ArrayList<>();
        lines.add("score,label,creatinine,troponin,lactate");
        for (int i = 0; i < N; i++) {
            long j = (long) i * 7919 % N;
            long m = (long) i * 104729 % N;
            double score = j / (double) N;
            int label = j % 3 == 0 ? 1 : 0;
            double creatinine = 40 + m / 100.0;
            String troponin = i % 200 == 0 ? Double.toString((i / 200) * 0.5) : "";
            String lactate = i == 0 ? "2.5" : "";
            lines.add(score + "," + label + "," + creatinine + "," + troponin + "," + lactate);
        }
        return lines;
    }

    @Test
    void write(@TempDir Path tmp) throws Exception {
        Path dir = Path.of("src/test/resources/compat/datasketches-6.2");
        Files.createDirectories(dir);
        Path input = tmp.resolve("validation.csv");
        Files.write(input, csv(), StandardCharsets.UTF_8);

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new ReferenceCommand(), new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                if (cls == ReferenceCommand.Build.class) {
                    return cls.cast(new ReferenceCommand.Build(Clock.fixed(NOW, ZoneOffset.UTC)));
                }
                return CommandLine.defaultFactory().create(cls);
            }
        });
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int rc = cli.execute("build", "--input", input.toString(), "--model", "compat-model", "--version", "1",
                "--threshold", "0.5", "--out", dir.resolve("reference-profile.json").toString());
        assertThat(rc).as(err.toString()).isZero();

        ReferenceCommand.Accumulator acc = new ReferenceCommand.Accumulator(new ModelRef("compat-model", "1"), 0.5);
        assertThat(acc.readCsv(csv())).isEmpty();
        Files.write(dir.resolve("drift-aggregate.bin"), DriftAggregate.CODEC.toBytes(acc.aggregate));
        System.out.println("written with " + org.apache.datasketches.kll.KllDoublesSketch.class.getPackage()
                + " on Java " + Runtime.version());
    }
}
