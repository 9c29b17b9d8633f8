package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.events.GroundTruth;
import io.vigil.events.Prediction;
import io.vigil.serde.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class LiveLoadTest {

    /**
     * A rendered template is the simulated record with the round's id and the given time: it parses as the
     * contract's JSON, and a label names the id its prediction got in the same round.
     */
    @Test
    void shouldRenderTemplatesAsRecordsOfTheRoundStampedWithTheGivenTime() throws Exception {
        List<LiveLoad.Template> templates = LiveLoad.templates(3);
        assertThat(templates).anyMatch(LiveLoad.Template::prediction);
        assertThat(templates).anyMatch(t -> !t.prediction());
        byte[] round = "000042".getBytes(StandardCharsets.US_ASCII);
        byte[] time = "2026-12-06T03:04:05.678Z".getBytes(StandardCharsets.US_ASCII);
        LiveLoad.Template first = templates.get(0);
        Prediction p = Json.mapper().readValue(first.render(round, time), Prediction.class);
        assertThat(p.predictionId()).isEqualTo("live-000042-00000000").isEqualTo(first.key("000042"));
        assertThat(p.occurredAt()).isEqualTo(Instant.parse("2026-12-06T03:04:05.678Z"));
        assertThat(p.model()).isEqualTo(LiveLoad.MODEL);
        LiveLoad.Template label =
                templates.stream().filter(t -> !t.prediction()).findFirst().orElseThrow();
        GroundTruth g = Json.mapper().readValue(label.render(round, time), GroundTruth.class);
        assertThat(g.predictionId()).startsWith("live-000042-").isEqualTo(label.key("000042"));
        assertThat(g.observedAt()).isEqualTo(Instant.parse("2026-12-06T03:04:05.678Z"));
        assertThat(templates.stream().filter(LiveLoad.Template::prediction).map(t -> t.key("000042")))
                .contains(g.predictionId());
        // the template itself is left as it was: the next round renders from the same bytes
        assertThat(new String(first.value(), StandardCharsets.UTF_8)).contains("live-RRRRRR-00000000");
    }
}
