package io.vigil.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.events.Alert;
import io.vigil.events.Incident;
import io.vigil.events.ModelRef;
import io.vigil.events.Slice;
import io.vigil.serde.Json;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebhookBodiesTest {
    private static Alert alert(Alert.Status status, Instant resolvedAt) {
        String fp = Fingerprints.fingerprint(
                "VigilScoreDistributionShift", "score_psi", "chest-ct", "2.3.0", "scanner", "S03/CT-7");
        Instant started = Instant.parse("2026-03-01T10:00:00Z");
        return new Alert(
                Fingerprints.id(fp, started, status),
                fp,
                status,
                Alert.Severity.WARNING,
                "VigilScoreDistributionShift",
                "score_psi",
                new ModelRef("chest-ct", "2.3.0"),
                "scanner",
                "S03/CT-7",
                "7d",
                new Alert.Observed(0.31, null, null, 812, 1e-9),
                null,
                started,
                resolvedAt,
                "Score shift");
    }

    @Test
    void shouldWriteAnAlertmanagerVersion4BodyWhenFiring() throws Exception {
        JsonNode body = Json.mapper().readTree(WebhookBodies.alertmanager("ops", alert(Alert.Status.FIRING, null)));
        assertThat(body.path("version").asText()).isEqualTo("4");
        assertThat(body.path("status").asText()).isEqualTo("firing");
        assertThat(body.path("receiver").asText()).isEqualTo("ops");
        for (String field : new String[] {
            "groupLabels", "commonLabels", "commonAnnotations", "externalURL", "groupKey", "truncatedAlerts"
        }) {
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
        JsonNode body = Json.mapper()
                .readTree(WebhookBodies.alertmanager(
                        "ops", alert(Alert.Status.RESOLVED, Instant.parse("2026-03-02T10:00:00Z"))));
        assertThat(body.path("status").asText()).isEqualTo("resolved");
        assertThat(body.path("alerts").get(0).path("endsAt").asText()).isEqualTo("2026-03-02T10:00:00Z");
    }

    @Test
    void shouldLinkTheStatusPageAndTheRunbookWhenAnExternalUrlIsSet() throws Exception {
        JsonNode body = Json.mapper()
                .readTree(WebhookBodies.alertmanager("ops", alert(Alert.Status.FIRING, null), "https://vigil.example"));
        assertThat(body.path("externalURL").asText()).isEqualTo("https://vigil.example");
        JsonNode a = body.path("alerts").get(0);
        assertThat(a.path("annotations").path("runbook_url").asText())
                .isEqualTo("https://vigil.example/runbooks/VigilScoreDistributionShift");
        assertThat(a.path("generatorURL").asText())
                .isEqualTo("https://vigil.example/?model=chest-ct&version=2.3.0&slice=scanner&value=S03%2FCT-7");
        // Without one, nothing is made up.
        JsonNode bare = Json.mapper().readTree(WebhookBodies.alertmanager("ops", alert(Alert.Status.FIRING, null)));
        assertThat(bare.path("externalURL").asText()).isEmpty();
        assertThat(bare.path("alerts").get(0).path("annotations").has("runbook_url"))
                .isFalse();
    }

    @Test
    void shouldWriteAnIncidentAsOneAlertmanagerAlertGroupedByItsId() throws Exception {
        Alert member = alert(Alert.Status.FIRING, null);
        Incident incident = new Incident(
                "inc-0a1b2c",
                Incident.Status.FIRING,
                "opened",
                Alert.Severity.WARNING,
                new ModelRef("chest-ct", "2.3.0"),
                List.of(new Slice("scanner", "S03/CT-7")),
                Instant.parse("2026-03-01T10:05:00Z"),
                Instant.parse("2026-03-01T10:05:00Z"),
                null,
                Instant.parse("2026-02-25T00:00:00Z"),
                List.of("S03/CT-7: software A -> B on 2026-02-25"),
                List.of(new Incident.Member(
                        member.fingerprint(),
                        member.rule(),
                        member.metric(),
                        member.severity(),
                        "scanner",
                        "S03/CT-7",
                        "7d",
                        member.startedAt(),
                        "root")),
                "scanner=S03/CT-7 of chest-ct 2.3.0: 1 alert on 1 slice (VigilScoreDistributionShift)");

        JsonNode body = Json.mapper().readTree(WebhookBodies.alertmanager("pager", incident, "https://vigil.example"));

        assertThat(body.path("groupKey").asText()).isEqualTo("{}:{incident=\"inc-0a1b2c\"}");
        assertThat(body.path("groupLabels").path("incident").asText()).isEqualTo("inc-0a1b2c");
        JsonNode a = body.path("alerts").get(0);
        assertThat(a.path("labels").path("alertname").asText()).isEqualTo("VigilIncident");
        assertThat(a.path("labels").path("root").asText()).isEqualTo("scanner");
        assertThat(a.path("labels").path("root_value").asText()).isEqualTo("S03/CT-7");
        assertThat(a.path("labels").path("severity").asText()).isEqualTo("warning");
        assertThat(a.path("annotations").path("transition").asText()).isEqualTo("opened");
        assertThat(a.path("annotations").path("alerts").asText()).isEqualTo("1");
        assertThat(a.path("annotations").path("change_at").asText()).isEqualTo("2026-02-25T00:00:00Z");
        assertThat(a.path("annotations").path("acquisition_change").asText()).contains("software A -> B");
        assertThat(a.path("annotations").path("runbook_url").asText())
                .isEqualTo("https://vigil.example/runbooks/VigilIncident");
        assertThat(a.path("startsAt").asText()).isEqualTo("2026-03-01T10:05:00Z");
        assertThat(a.path("endsAt").asText()).isEqualTo(WebhookBodies.ZERO_TIME);
    }
}
