package io.vigil.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.alerts.AlertRules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every rule has a runbook, packaged and served under its name, and every runbook link in the Prometheus rules
 * points to one; names outside the rule alphabet (a path, a traversal) find nothing.
 */
class RunbooksTest {
    private static final Path PROMETHEUS_RULES = Path.of("..", "dashboards", "prometheus", "vigil-rules.yml");

    @Test
    void shouldServeARunbookForEveryShippedRuleAndEveryPrometheusAlert() throws IOException {
        List<String> names = new ArrayList<>();
        AlertRules.defaults().forEach(r -> names.add(r.name()));
        Matcher alert = Pattern.compile("(?m)^\\s*- alert: (\\S+)").matcher(Files.readString(PROMETHEUS_RULES));
        while (alert.find()) {
            names.add(alert.group(1));
        }
        assertThat(names).hasSizeGreaterThan(20);
        for (String name : names) {
            String runbook = Runbooks.of(name);
            assertThat(runbook)
                    .as("runbook of %s", name)
                    .isNotNull()
                    .startsWith("# " + name + "\n")
                    .contains("## Check it", "## Likely causes", "## What to do", "## Silence it");
        }
    }

    @Test
    void shouldLinkEveryPrometheusAlertToItsOwnRunbook() throws IOException {
        String rules = Files.readString(PROMETHEUS_RULES);
        Matcher alert = Pattern.compile("(?m)^\\s*- alert: (\\S+)").matcher(rules);
        Matcher link = Pattern.compile("runbook_url: \"http://vigil:8080/runbooks/(\\w+)\"")
                .matcher(rules);
        List<String> alerts = new ArrayList<>();
        List<String> links = new ArrayList<>();
        while (alert.find()) {
            alerts.add(alert.group(1));
        }
        while (link.find()) {
            links.add(link.group(1));
        }
        assertThat(links).containsExactlyElementsOf(alerts);
    }

    @Test
    void shouldFindNothingForANameThatIsNotARuleName() throws IOException {
        assertThat(Runbooks.of("../../pom")).isNull();
        assertThat(Runbooks.of("VigilNoSuchRule")).isNull();
        assertThat(Runbooks.of("")).isNull();
        assertThat(Runbooks.of(null)).isNull();
        assertThat(Runbooks.of("README")).contains("VigilIncident");
    }
}
