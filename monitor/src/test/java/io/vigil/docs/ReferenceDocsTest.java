package io.vigil.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.config.VigilConfig;
import io.vigil.metrics.MetricCatalog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md and docs/metrics.md are generated from the code ({@link ReferenceDocs}); the committed
 * files must equal what the generator produces now. {@code -Dvigil.docs.write=true} rewrites them instead.
 */
class ReferenceDocsTest {
    private static final Path ROOT = Path.of("..");

    @Test
    void shouldMatchTheGeneratedReferencesWhenTheCommittedDocsAreRead() throws IOException {
        boolean write = Boolean.getBoolean("vigil.docs.write");
        for (Map.Entry<String, String> file : ReferenceDocs.files().entrySet()) {
            Path path = ROOT.resolve(file.getKey());
            if (write) {
                Files.createDirectories(path.getParent());
                Files.writeString(path, file.getValue());
            }
            assertThat(path)
                    .as("%s is missing; regenerate it with: %s", file.getKey(), ReferenceDocs.REGENERATE)
                    .exists();
            assertThat(Files.readString(path))
                    .as(
                            "%s differs from what the code generates; regenerate it with: %s",
                            file.getKey(), ReferenceDocs.REGENERATE)
                    .isEqualTo(file.getValue());
        }
    }

    @Test
    void shouldListEverySettingOnceWithItsDefaultWhenConfigurationIsGenerated() {
        String md = ReferenceDocs.configurationMarkdown();
        for (String key : VigilConfig.definition().names()) {
            assertThat(rows(md, "| `" + key + "` |")).as("rows of %s", key).isEqualTo(1);
        }
        assertThat(md)
                .contains("| `bootstrap.servers` | list | *(required)* |")
                .contains("| `application.id` | string | `vigil` | Kafka Streams application id;")
                .contains("| `drift.windows` | list | `1d,7d,30d` |")
                .contains("| `outcomes.min-n` | int | `50` |")
                .contains("| `alerts.rules-file` | string | *(empty)* |")
                .contains("| `stability.subject-key-secret` | password | *(none)* |")
                .contains("| `detection.arl0-days` | double | `3650.0` |");
        assertThat(md).startsWith("<!-- GENERATED").contains(ReferenceDocs.REGENERATE);
    }

    @Test
    void shouldListEveryCatalogFamilyExactlyOnceWhenMetricsAreGenerated() {
        String md = ReferenceDocs.metricsMarkdown();
        for (MetricCatalog.Family f : MetricCatalog.families().values()) {
            assertThat(rows(md, "| `" + f.prometheusName() + "` |"))
                    .as("rows of %s", f.prometheusName())
                    .isEqualTo(1);
            String name = f.paramLabel() == null ? f.name() : f.name() + ":<" + f.paramLabel() + ">";
            assertThat(rows(md, "| `" + name + "` |")).as("rows of %s", name).isEqualTo(1);
        }
        assertThat(md)
                .contains("| `score_ks` | `vigil_score_ks_statistic` |  | decision | Kolmogorov-Smirnov distance")
                .contains("| `feature_psi:<feature>` | `vigil_feature_psi` | `feature` | decision | PSI of a feature")
                .contains("| `reliability_observed:<bin>` | `vigil_reliability_observed_ratio` | `bin` | detail |");
        assertThat(md).startsWith("<!-- GENERATED").contains(ReferenceDocs.REGENERATE);
    }

    private static long rows(String markdown, String cell) {
        return markdown.lines().filter(l -> l.contains(cell)).count();
    }
}
