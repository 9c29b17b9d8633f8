package io.vigil.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.config.VigilConfig;
import io.vigil.metrics.MetricCatalog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The docs must not lie: every setting and metric is documented (in the references generated from the code,
 * docs/configuration.md and docs/metrics.md, which the README links), CI runs the README's test command, and
 * the README stays a short entry point.
 */
class ReadmeTest {
    private static final Path ROOT = Path.of("..");

    @Test
    void shouldDocumentEveryConfigKeyWhenTheConfigurationReferenceIsRead() throws IOException {
        String reference = Files.readString(ROOT.resolve(ReferenceDocs.CONFIGURATION_FILE));
        for (String key : VigilConfig.definition().names()) {
            assertThat(reference).as("docs/configuration.md documents %s", key).contains("`" + key + "`");
        }
        assertThat(Files.readString(ROOT.resolve("README.md"))).contains("(docs/configuration.md)");
    }

    @Test
    void shouldDocumentEveryExportedMetricFamilyWhenTheMetricsReferenceIsRead() throws IOException {
        String reference = Files.readString(ROOT.resolve(ReferenceDocs.METRICS_FILE));
        MetricCatalog.families()
                .values()
                .forEach(f -> assertThat(reference)
                        .as("docs/metrics.md documents %s", f.prometheusName())
                        .contains(f.prometheusName()));
        assertThat(Files.readString(ROOT.resolve("README.md"))).contains("(docs/metrics.md)");
    }

    @Test
    void shouldRunTheReadmeTestCommandWhenCiRuns() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        String ci = Files.readString(ROOT.resolve(".ci/run"));
        String command = "./mvnw -B verify";
        assertThat(readme).contains("```\n" + command + "\n```");
        assertThat(ci.lines().map(String::strip)).contains(command);
    }

    @Test
    void shouldStateTheOneCommandDemoAndStayShortWhenReadmeIsRead() throws IOException {
        Path readme = ROOT.resolve("README.md");
        assertThat(Files.readString(readme)).contains("```\n./vigil demo\n```");
        assertThat(Files.size(readme))
                .as("README.md bytes (issue 22: at most 15,000; details go to docs/)")
                .isLessThanOrEqualTo(15_000);
    }
}
