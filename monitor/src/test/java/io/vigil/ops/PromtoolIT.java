package io.vigil.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.testing.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Prometheus alert rules, their unit tests, the scrape config, the Alertmanager config and its
 * routes, every dashboard query and docker-compose.yml, checked by the real promtool, amtool and
 * docker-compose (dashboards/check.sh).
 */
class PromtoolIT {

    @Test
    void shouldPassPromtoolAndAmtoolWhenRulesAndConfigsAreChecked() throws IOException, InterruptedException {
        Tools.require(
                "prometheus prometheus-alertmanager python3 docker-compose",
                "promtool",
                "amtool",
                "python3",
                "docker-compose");
        Process p = new ProcessBuilder("bash", "check.sh")
                .directory(Path.of("..", "dashboards").toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("SUCCESS");
    }
}
