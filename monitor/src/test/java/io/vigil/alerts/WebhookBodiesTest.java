package io.vigil.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.events.Alert;
import io.vigil.events.ModelRef;
import io.vigil.serde.Json;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class WebhookBodiesTest {
    private static Alert alert(Alert.Status status, Instant resolvedAt) {
        String fp = Fingerprints.fingerprint("VigilScoreDistributionShift", "score_psi", "chest-ct", "2.3.0",
                "scanner", "S03/CT-7");
        Instant started = Instant.parse("2026-03-01T10:00:00Z");
        return new Alert(Fingerprints.id(fp, started, status), fp, status, Alert.Severity.WARNING,
                "VigilScoreDistributionShift", "score_psi", new ModelRef("chest-ct", "2.3.0"), "scanner", "S03/CT-7",
                "7d", new Alert.Observed(0.31, null, null, 812, 1e-9), null, started, resolvedAt, "Score shift");
    }

    @Test
    void shouldWriteAnAlertmanagerVersion4BodyWhenFiring() throws Exception {
        JsonNode body = Json.mapper().readTree(WebhookBodies.alertmanager("ops", alert(Alert.Status.FIRING, null)));
        assertThat(body.path("version").asText()).isEqualTo("4");
        assertThat(body.path("status").asText()).isEqualTo("firing");
        assertThat(body.path("receiver").asText()).isEqualTo("ops");
        for (String field : new String[] {"groupLabels", "commonLabels", "commonAnnotations", "externalURL",
            "groupKey", "truncatedAlerts"}) {
            assertThat(body.has(field)).as(field).isTrue();
        }
        JsonNode a = body.path("alerts").get(0);
        assertThat(a.path("labels").path("alertname").asText()).isEqualTo("VigilScoreDistributionShift");
        assertThat(a.path("labels").path("slice_value").asText()).isEqualTo("S03/CT-7");
        assertThat(a.path("labels").path("severity").asText()).isEqualTo("warning");
        assertThat(a.path("annotations").path("summary").asText()).isEqualTo("Score shift");
        assertThat(a.path("startsAt").asText()).isEqualTo("2026-03-01T10:00:00Z");
        assertThat(a.path("endsAt").asText()).isEqualTo(WebhookBodies.ZERO_TIME);
        assertThat(a.path("fingerprint").asText()).hasSize(16);
    }

    @Test
    void shouldSetEndsAtWhenResolved() throws Exception {
        JsonNode body = Json.mapper().readTree(WebhookBodies.alertmanager("ops",
                alert(Alert.Status.RESOLVED, Instant.parse("2026-03-02T10:00:00Z"))));
        assertThat(body.path("status").asText()).isEqualTo("resolved");
        assertThat(body.path("alerts").get(0).path("endsAt").asText()).isEqualTo("2026-03-02T10:00:00Z");
    }
}
