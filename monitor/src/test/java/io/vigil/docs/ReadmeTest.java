package io.vigil.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.config.VigilConfig;
import io.vigil.metrics.MetricCatalog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README must not lie: every setting and metric is documented, and CI runs its test command. */
class ReadmeTest {
    private static final Path ROOT = Path.of("..");

    @Test
    void shouldDocumentEveryConfigKeyWhenReadmeIsRead() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        for (String key : VigilConfig.definition().names()) {
            assertThat(readme).as("README documents %s", key).contains("`" + key + "`");
        }
    }

    @Test
    void shouldDocumentEveryExportedMetricFamilyWhenReadmeIsRead() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        MetricCatalog.families().values().forEach(f ->
                assertThat(readme).as("README documents %s", f.prometheusName()).contains(f.prometheusName()));
    }

    @Test
    void shouldRunTheReadmeTestCommandWhenCiRuns() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        String ci = Files.readString(ROOT.resolve(".ci/run"));
        String command = "./mvnw -B verify";
        assertThat(readme).contains("```\n" + command + "\n```");
        assertThat(ci.lines().map(String::strip)).contains(command);
    }
}
