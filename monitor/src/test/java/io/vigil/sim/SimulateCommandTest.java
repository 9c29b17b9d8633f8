package io.vigil.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.cli.SimulateCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SimulateCommandTest {

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new SimulateCommand());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void shouldWriteTwoFilesAndSummariseWhenOutIsGiven(@TempDir Path dir) throws Exception {
        Run r = run("--out", dir.toString(), "--start", "2025-01-01", "--days", "15", "--seed", "3");
        assertThat(r.exit()).as(r.err()).isZero();
        long predictions = Files.lines(dir.resolve("predictions.jsonl")).count();
        long labels = Files.lines(dir.resolve("ground_truth.jsonl")).count();
        assertThat(predictions).isGreaterThan(15 * 1000);
        assertThat(labels).isPositive();
        assertThat(r.out())
                .contains("simulated " + predictions + " predictions and " + labels + " ground-truth labels")
                .contains("scenario default")
                .contains("seed 3")
                .contains("2025-01-01T00:00:00Z to 2025-01-16T00:00:00Z");
    }

    @Test
    void shouldStopAtLimitWhenMergedOutputIsAsked(@TempDir Path dir) throws Exception {
        Run r = run("--scenario", "steady", "--out", dir.toString(), "--merged", "--days", "30", "--limit", "1000");
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> lines = Files.readAllLines(dir.resolve("events.jsonl"));
        assertThat(lines.stream().filter(l -> l.contains("\"occurred_at\"")).count())
                .isEqualTo(1000);
        assertThat(r.out()).contains("simulated 1000 predictions").contains("scenario steady");
    }

    @Test
    void shouldRefuseWhenNoTargetIsGiven() {
        Run r = run("--days", "1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--out DIR or --bootstrap-servers");
    }

    @Test
    void shouldRefuseWhenScenarioFileIsMissing(@TempDir Path dir) {
        Run r = run("--scenario", dir.resolve("absent.json").toString(), "--out", dir.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("Cannot load scenario");
    }
}
