package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.events.EventValidator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ValidateCommandTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T00:00:00Z"), ZoneOffset.UTC);
    static final String PREDICTION = "{\"prediction_id\":\"p-1\",\"occurred_at\":\"2026-11-01T08:15:30Z\","
            + "\"model\":{\"id\":\"m\",\"version\":\"1\"},\"task\":\"binary\",\"score\":%s,\"threshold\":0.5,"
            + "\"site\":\"S03\",\"scanner\":{\"id\":\"CT-07\",\"manufacturer\":\"GE\",\"model\":\"R\",\"software_version\":\"1\"}}";
    static final String TRUTH = "{\"prediction_id\":\"p-1\",\"label\":%s,\"observed_at\":\"2026-11-19T14:02:00Z\","
            + "\"source\":\"pathology\",\"revision\":0}";

    @TempDir
    Path dir;

    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    int run(String... args) {
        CommandLine cli = new CommandLine(new ValidateCommand(CLOCK, new EventValidator()));
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    Path write(String content) throws IOException {
        return Files.writeString(dir.resolve("events.jsonl"), content);
    }

    @Test
    void shouldReportEachBadLineWithItsNumberWhenFileIsMixed() throws IOException {
        Path file = write(String.join(
                        "\n",
                        PREDICTION.formatted("0.7"),
                        TRUTH.formatted("1"),
                        "",
                        PREDICTION.formatted("1.5"),
                        TRUTH.formatted("2"),
                        "{not json",
                        "{\"hello\":\"PHI-CANARY\"}",
                        PREDICTION.formatted("\"PHI-CANARY\""))
                + "\n");

        int exit = run(file.toString());

        assertThat(exit).isEqualTo(1);
        assertThat(out.toString())
                .isEqualToNormalizingNewlines(String.join(
                        "\n",
                        "line 4: out_of_range /score: must be <= 1",
                        "line 5: unknown_enum /label: must be one of [0,1]",
                        "line 6: not_json (root): malformed JSON at line 1, column 2",
                        "line 7: invalid (root): cannot tell the record type; use --type",
                        "line 8: wrong_type /score: must be of type number",
                        "FAILED: 5 of 7 records invalid",
                        ""));
        assertThat(out.toString()).doesNotContain("CANARY");
    }

    @Test
    void shouldPrintOkAndExitZeroWhenAllRecordsValid() throws IOException {
        Path file = write(
                PREDICTION.formatted("0.1") + "\n" + PREDICTION.formatted("1") + "\n" + TRUTH.formatted("0") + "\n");

        assertThat(run(file.toString())).isZero();
        assertThat(out.toString().trim()).isEqualTo("OK: 3 records valid");
    }

    @Test
    void shouldUseGivenTypeWhenTypeIsForced() throws IOException {
        Path file = write(TRUTH.formatted("1") + "\n");

        assertThat(run(file.toString(), "--type", "prediction")).isEqualTo(1);
        assertThat(out.toString()).contains("line 1: additional_property /label: is not defined by the contract");
    }

    @Test
    void shouldValidateEachElementWhenFileIsOneJsonArray() throws IOException {
        Path file = write("[\n  " + PREDICTION.formatted("0.2") + ",\n  " + TRUTH.formatted("5") + "\n]\n");

        assertThat(run(file.toString())).isEqualTo(1);
        assertThat(out.toString()).contains("record 2: unknown_enum /label").contains("FAILED: 1 of 2 records invalid");
    }

    @Test
    void shouldAcceptPrettyPrintedDocumentWhenFileIsOneObject() throws IOException {
        Path file = write(PREDICTION.formatted("0.2").replace(",", ",\n  ") + "\n");

        assertThat(run(file.toString())).isZero();
        assertThat(out.toString().trim()).isEqualTo("OK: 1 records valid");
    }

    @Test
    void shouldExitTwoWhenFileIsUnreadable() {
        int exit = run(dir.resolve("missing.jsonl").toString());

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("cannot read").contains("missing.jsonl");
    }

    @Test
    void shouldRejectUnknownTypeWhenOptionIsInvalid() throws IOException {
        Path file = write(TRUTH.formatted("1"));

        assertThat(run(file.toString(), "--type", "invoice")).isEqualTo(2);
        assertThat(err.toString()).contains("--type");
    }

    @Test
    void shouldCheckEveryContractInSchemasWhenTypeNamesIt() throws IOException {
        // Every schema in schemas/ is a --type (incident was missing), so a new schema cannot be forgotten.
        List<String> types;
        try (var schemas = Files.list(Path.of("../schemas"))) {
            types = schemas.map(f -> f.getFileName().toString())
                    .filter(n -> n.endsWith(".schema.json"))
                    .map(n -> n.substring(0, n.length() - ".schema.json".length()))
                    .sorted()
                    .toList();
        }
        assertThat(types).hasSize(6).contains("incident");
        for (String type : types) {
            try (var examples = Files.list(Path.of("../schemas/examples", type, "valid"))) {
                for (Path example : examples.toList()) {
                    out.getBuffer().setLength(0);
                    assertThat(run("--type", type, example.toString()))
                            .as(example.toString())
                            .isZero();
                    assertThat(out.toString()).startsWith("OK: 1 records valid");
                }
            }
        }
        // The wrong contract rejects it.
        Path alert;
        try (var examples = Files.list(Path.of("../schemas/examples/alert/valid"))) {
            alert = examples.findFirst().orElseThrow();
        }
        assertThat(run("--type", "prediction", alert.toString())).isEqualTo(1);
    }

    @Test
    void shouldFailWhenTheFileHoldsNoRecord() throws IOException {
        assertThat(run(write("").toString())).isEqualTo(1);
        assertThat(err.toString()).contains("FAILED: no records in");
        assertThat(run(write("\n  \n").toString())).isEqualTo(1);
        assertThat(run("../schemas/examples/prediction/invalid/empty.json")).isEqualTo(1);
        assertThat(out.toString()).doesNotContain("OK");
    }

    @Test
    void shouldSayWhyInWordsWhenTheFileCannotBeRead() {
        assertThat(run(dir.resolve("missing.jsonl").toString())).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("cannot read " + dir.resolve("missing.jsonl") + ": no such file");
        err.getBuffer().setLength(0);
        assertThat(run(dir.toString())).isEqualTo(2);
        assertThat(err.toString().strip())
                .startsWith("cannot read " + dir + ": ")
                .doesNotContain("Exception");
    }
}
