package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The artifact operators run, {@code java -jar vigil.jar}, started as they start it: it starts on this
 * JVM without a warning and names its own version (bug reports quote it).
 */
class PackagedJarIT {

    private static Result run(String... args) throws IOException, InterruptedException {
        Path jar = Paths.get(System.getProperty("vigil.it.jar", "target/vigil.jar"));
        assertThat(jar).as("the shaded jar (mvn package runs before the ITs)").isRegularFile();
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        // Standard error apart, so a test can say what went there.
        Path err = Files.createTempFile("vigil-jar", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            return new Result(p.exitValue(), out, Files.readString(err));
        } finally {
            Files.deleteIfExists(err);
        }
    }

    private record Result(int status, String output, String error) {}

    @Test
    void theJarReportsTheProjectVersion() throws Exception {
        String version = System.getProperty("vigil.it.version");
        assertThat(version).as("set by failsafe from the POM").isNotBlank();

        Result r = run("--version");

        assertThat(r.status()).as(r.error()).isZero();
        assertThat(r.output().strip()).as(r.error()).isEqualTo("vigil " + version);
        // No JVM warning either (DataSketches 6.2 made Java 25 warn about sun.misc.Unsafe; FFM code
        // that needed native access would warn too).
        assertThat(r.error()).isEmpty();
    }

    @Test
    void theJarFindsItsSchemasAndNamesABadLine(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        // The JSON Schemas and the validator's services must have survived shading.
        Path file = Files.writeString(
                dir.resolve("events.jsonl"),
                String.join(
                                "\n",
                                ValidateCommandTest.PREDICTION.formatted("0.7"),
                                ValidateCommandTest.PREDICTION.formatted("1.5"))
                        + "\n");

        Result r = run("validate", file.toString());

        assertThat(r.status()).as(r.output() + r.error()).isEqualTo(1);
        assertThat(r.output())
                .contains("line 2: out_of_range /score: must be <= 1")
                .doesNotContain("line 1:");
    }
}
