package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.events.EventValidator;
import io.vigil.events.Validation;
import io.vigil.serde.Json;
import io.vigil.testing.Events;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ReferenceCommandTest {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
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
        return cli.execute(args);
    }

    @Test
    void shouldWriteValidProfileWithLabelledBinsWhenCsvIsLabelled(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("val.csv");
        Files.writeString(csv, """
                score,label,site,scanner,manufacturer,model,software_version,kvp,attr.contrast
                0.10,0,S01,CT-1,GE,Revolution,1.0,120,yes
                0.80,1,S01,CT-1,GE,Revolution,1.0,,no
                0.55,1,S02,CT-9,GE,Revolution,2.0,100,yes
                0.30,0,S02,CT-9,GE,Revolution,2.0,140,
                """);
        Path profile = dir.resolve("profile.json");

        int rc = run(
                "build",
                "--input",
                csv.toString(),
                "--model",
                "m",
                "--version",
                "1",
                "--threshold",
                "0.5",
                "--target",
                "sensitivity=0.9",
                "--out",
                profile.toString());

        assertThat(rc).as(err.toString()).isZero();
        assertThat(out.toString()).contains("OK: reference profile m|1 from 4 predictions (4 labelled)");
        byte[] bytes = Files.readAllBytes(profile);
        assertThat(new EventValidator().referenceProfile(bytes)).isInstanceOf(Validation.Accepted.class);
        JsonNode p = Json.mapper().readTree(bytes);
        assertThat(p.get("source").asText()).isEqualTo("validation_file");
        assertThat(p.get("created_at").asText()).isEqualTo("2026-03-01T12:00:00Z");
        assertThat(p.get("n").asLong()).isEqualTo(4);
        assertThat(p.get("positives").asLong()).isEqualTo(2);
        assertThat(p.get("features").get("kvp").get("missing").asLong()).isEqualTo(1);
        assertThat(p.get("attributes").get("contrast").get("yes").asLong()).isEqualTo(2);
        assertThat(p.get("known").get("software").toString())
                .isEqualTo("[\"GE Revolution 1.0\",\"GE Revolution 2.0\"]");
        assertThat(p.get("known").get("scanners").toString()).isEqualTo("[\"S01/CT-1\",\"S02/CT-9\"]");
        long positives = 0;
        long negatives = 0;
        for (JsonNode b : p.get("labelled").get("bins")) {
            positives += b.get("positives").asLong();
            negatives += b.get("negatives").asLong();
        }
        assertThat(positives).isEqualTo(2);
        assertThat(negatives).isEqualTo(2);
        assertThat(p.get("labelled").get("bins").get(16).get("positives").asLong())
                .isEqualTo(1); // 0.80 in [0.80, 0.85)
        assertThat(p.get("labelled").get("targets").get("sensitivity").asDouble())
                .isEqualTo(0.9);
    }

    @Test
    void shouldReadJsonLinesWithLabelsAndSkipOtherVersionsWhenModelsAreMixed(@TempDir Path dir) throws Exception {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            String json = new String(
                    Events.json(Events.prediction("p-" + i, 0.2 * i, NOW.minusSeconds(60))), StandardCharsets.UTF_8);
            lines.append(json, 0, json.length() - 1)
                    .append(",\"label\":")
                    .append(i % 2)
                    .append("}\n");
        }
        lines.append(new String(
                        Events.json(new io.vigil.events.Prediction(
                                "q",
                                NOW,
                                new io.vigil.events.ModelRef("x", "9"),
                                "binary",
                                0.5,
                                0.5,
                                null,
                                "S01",
                                Events.prediction("z", 0.1, NOW).scanner(),
                                null,
                                null,
                                null,
                                null,
                                null,
                                null,
                                null)),
                        StandardCharsets.UTF_8))
                .append('\n');
        Path file = dir.resolve("val.jsonl");
        Files.writeString(file, lines);
        Path profile = dir.resolve("p.json");

        int rc = run(
                "build",
                "--input",
                file.toString(),
                "--model",
                Events.MODEL.id(),
                "--version",
                Events.MODEL.version(),
                "--threshold",
                "0.5",
                "--out",
                profile.toString());

        assertThat(rc).as(err.toString()).isZero();
        assertThat(out.toString()).contains("from 5 predictions (5 labelled, 1 of other model versions skipped)");
        JsonNode p = Json.mapper().readTree(profile.toFile());
        assertThat(p.get("positives").asLong()).isEqualTo(2); // scores 0.6 and 0.8 reach the threshold 0.5
    }

    @Test
    void shouldFailWithLineNumbersAndWriteNothingWhenRowsAreInvalid(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "score,label\n0.2,1\n1.7,0\n0.3,yes\n");
        Path profile = dir.resolve("p.json");

        int rc = run(
                "build",
                "--input",
                csv.toString(),
                "--model",
                "m",
                "--version",
                "1",
                "--threshold",
                "0.5",
                "--out",
                profile.toString());

        assertThat(rc).isEqualTo(1);
        assertThat(err.toString())
                .contains("line 3: ")
                .contains("line 4: column label must be 0, 1 or empty")
                .doesNotContain("1.7");
        assertThat(profile).doesNotExist();
    }

    @Test
    void shouldExitTwoWhenInputIsUnreadableOrDestinationMissing(@TempDir Path dir) {
        assertThat(run(
                        "build",
                        "--input",
                        dir.resolve("none.csv").toString(),
                        "--model",
                        "m",
                        "--version",
                        "1",
                        "--threshold",
                        "0.5",
                        "--out",
                        dir.resolve("p.json").toString()))
                .isEqualTo(2);
        assertThat(run("build", "--input", "x.csv", "--model", "m", "--version", "1", "--threshold", "0.5"))
                .isEqualTo(2);
    }

    @Test
    void shouldPrintUsageAndExitZeroWhenAskedForHelp() {
        assertThat(run("build", "--help")).isZero();
        assertThat(out.toString())
                .contains("Usage:")
                .contains("--model")
                .contains("--version")
                .contains("--threshold");
        assertThat(err.toString()).doesNotContain("Missing required");
    }

    @Test
    void shouldNameAMisspeltKnownColumnInsteadOfTakingItForAFeature(@TempDir Path dir) throws Exception {
        Path csv = java.nio.file.Files.writeString(dir.resolve("val.csv"), "score,lable,site\n0.9,1,S01\n0.1,0,S01\n");

        int rc = run(
                "build",
                "--input",
                csv.toString(),
                "--model",
                "m",
                "--version",
                "1",
                "--threshold",
                "0.5",
                "--out",
                dir.resolve("p.json").toString());

        assertThat(rc).isEqualTo(1);
        assertThat(err.toString()).contains("column 'lable' looks like a misspelt 'label'");
        assertThat(dir.resolve("p.json")).doesNotExist();
    }

    @Test
    void shouldSayWhyInWordsWhenTheInputCannotBeRead(@TempDir Path dir) {
        run(
                "build",
                "--input",
                dir.resolve("none.csv").toString(),
                "--model",
                "m",
                "--version",
                "1",
                "--threshold",
                "0.5",
                "--out",
                dir.resolve("p.json").toString());

        assertThat(err.toString().strip()).isEqualTo("cannot read " + dir.resolve("none.csv") + ": no such file");
    }
}
