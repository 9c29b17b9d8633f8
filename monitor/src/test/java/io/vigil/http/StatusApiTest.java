package io.vigil.http;

import static io.vigil.http.StatusApiFixtures.AFFECTED;
import static io.vigil.http.StatusApiFixtures.DAY0;
import static io.vigil.http.StatusApiFixtures.MODEL;
import static io.vigil.http.StatusApiFixtures.VERSION;
import static io.vigil.http.StatusApiFixtures.snap;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.events.Alert;
import io.vigil.events.MetricSnapshot;
import io.vigil.serde.Json;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.internals.TaskMetadataImpl;
import org.apache.kafka.streams.processor.internals.ThreadMetadataImpl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StatusApiTest {
    private final AtomicReference<List<MetricSnapshot>> snapshots = new AtomicReference<>(List.of());
    private final AtomicReference<List<Alert>> alerts = new AtomicReference<>(List.of());
    private final AtomicReference<LocalTasks> tasks = new AtomicReference<>(LocalTasks.none());
    private final HttpClient client = HttpClient.newHttpClient();
    private HttpServerRunner http;
    private StatusApi api;

    @BeforeEach
    void startServer() throws Exception {
        http = new HttpServerRunner("127.0.0.1", 0, () -> "", () -> true);
        api = new StatusApi(snapshots::get, alerts::get, () -> "RUNNING", tasks::get, new SnapshotHistory(5, 1000));
        api.registerOn(http);
        http.start();
    }

    @AfterEach
    void stopServer() {
        api.close();
        http.close();
    }

    @Test
    void shouldListAlertingThenDriftingThenOkWhenTheUpdatedScannerAlerts() {
        List<Fleet.Row> rows = Fleet.rows(
                StatusApiFixtures.fleetOnDay(30),
                List.of(StatusApiFixtures.firingAlert(), StatusApiFixtures.resolvedAlert()));

        assertThat(rows).hasSize(1 + 3 + 6);
        assertThat(rows.get(0))
                .extracting(Fleet.Row::sliceDimension, Fleet.Row::sliceValue, Fleet.Row::status)
                .containsExactly("scanner", AFFECTED, Fleet.Status.ALERTING);
        assertThat(rows.get(0).alerts()).extracting(Alert::id).containsExactly("a-0001");
        assertThat(rows.get(1))
                .extracting(Fleet.Row::sliceDimension, Fleet.Row::sliceValue, Fleet.Row::status)
                .containsExactly("site", "S02", Fleet.Status.DRIFTING);
        assertThat(rows.subList(2, rows.size()))
                .allSatisfy(r -> assertThat(r.status()).isEqualTo(Fleet.Status.OK));
        // The resolved alert on S01 does not make it alerting; ok rows follow all, site, scanner order.
        assertThat(rows.subList(2, rows.size()))
                .extracting(Fleet.Row::sliceDimension)
                .containsExactly("all", "site", "site", "scanner", "scanner", "scanner", "scanner", "scanner");
    }

    @Test
    void shouldMarkDriftingWhenTheUpdatedScannerDriftsWithoutAnAlert() {
        List<Fleet.Row> rows = Fleet.rows(StatusApiFixtures.fleetOnDay(30), List.of());

        assertThat(rows.get(0).sliceValue()).isEqualTo(AFFECTED);
        assertThat(rows.get(0).status()).isEqualTo(Fleet.Status.DRIFTING);
        assertThat(rows.get(0).signals())
                .extracting(Fleet.Signal::metric)
                .contains("score_psi", "score_ks", "positive_rate");
        // the row shows the 7d window where there is one
        assertThat(rows.get(0).metrics().get("score_psi").window()).isEqualTo("7d");
    }

    @Test
    void shouldBeOkBeforeTheUpdateDay() {
        List<Fleet.Row> rows = Fleet.rows(StatusApiFixtures.fleetOnDay(StatusApiFixtures.UPDATE_DAY), List.of());

        assertThat(rows).allSatisfy(r -> assertThat(r.status()).isEqualTo(Fleet.Status.OK));
    }

    @Test
    void shouldCountPsiAsSignalOnlyWhenPBelowThresholdWithEnoughCases() {
        Instant t = DAY0;
        assertThat(Fleet.signal(snap("scanner", "x", "7d", t, t, "score_psi", 0.3, null, null, 100, 0.0009)))
                .isPresent();
        assertThat(Fleet.signal(snap("scanner", "x", "7d", t, t, "score_psi", 0.3, null, null, 99, 1e-9)))
                .isEmpty();
        assertThat(Fleet.signal(snap("scanner", "x", "7d", t, t, "score_psi", 0.3, null, null, 5000, 0.001)))
                .isEmpty();
        assertThat(Fleet.signal(snap("scanner", "x", "7d", t, t, "score_psi", 0.3, null, null, 5000, null)))
                .isEmpty();
    }

    @Test
    void shouldCountKsAsSignalOnlyAboveItsCriticalValue() {
        Instant t = DAY0;
        assertThat(Fleet.signal(snap("scanner", "x", "7d", t, t, "score_ks", 0.08, null, 0.05, 500, null)))
                .hasValueSatisfying(s -> assertThat(s.threshold()).isEqualTo(0.05));
        assertThat(Fleet.signal(snap("scanner", "x", "7d", t, t, "score_ks", 0.05, null, 0.05, 500, null)))
                .isEmpty();
        assertThat(Fleet.signal(snap("scanner", "x", "7d", t, t, "score_ks", 0.08, null, 0.05, 500, 0.01)))
                .isEmpty();
        assertThat(Fleet.signal(snap("scanner", "x", "7d", t, t, "cusum_alarm:sensitivity", 1.0, null, null, 10, null)))
                .isPresent();
        assertThat(Fleet.signal(snap("scanner", "x", "7d", t, t, "auc", 0.5, 0.4, 0.6, 5000, 1e-9)))
                .isEmpty();
    }

    @Test
    void shouldKeepOnlyTheNewestPointsWhenHistoryExceedsCapacity() {
        SnapshotHistory history = new SnapshotHistory(5, 1000);
        for (List<MetricSnapshot> day : StatusApiFixtures.timeline(12)) {
            history.record(day);
        }
        String key = String.join("|", MODEL, VERSION, "scanner", AFFECTED, "7d", "score_psi");

        List<SnapshotHistory.Point> series = history.series(key);
        assertThat(series).hasSize(5);
        assertThat(series)
                .extracting(SnapshotHistory.Point::windowEnd)
                .containsExactly(
                        DAY0.plus(Duration.ofDays(8)),
                        DAY0.plus(Duration.ofDays(9)),
                        DAY0.plus(Duration.ofDays(10)),
                        DAY0.plus(Duration.ofDays(11)),
                        DAY0.plus(Duration.ofDays(12)));
        assertThat(history.series(
                        String.join("|", MODEL, VERSION, "scanner", AFFECTED, "7d", "reliability_observed:3")))
                .isEmpty();
    }

    @Test
    void shouldReplaceTheNewestPointWhenTheSameWindowEndIsRecomputed() {
        SnapshotHistory history = new SnapshotHistory(5, 1000);
        Instant end = DAY0.plus(Duration.ofDays(1));
        history.record(List.of(snap("all", "all", "7d", end, end, "score_psi", 0.1, null, null, 500, 0.5)));
        history.record(List.of(snap("all", "all", "7d", end, end, "score_psi", 0.1, null, null, 500, 0.5)));
        history.record(
                List.of(snap("all", "all", "7d", end, end.plusSeconds(5), "score_psi", 0.2, null, null, 900, 0.4)));
        history.record(List.of(snap(
                "all",
                "all",
                "7d",
                end.minus(Duration.ofDays(1)),
                end.plusSeconds(9),
                "score_psi",
                0.9,
                null,
                null,
                900,
                0.4)));

        List<SnapshotHistory.Point> series =
                history.series(String.join("|", MODEL, VERSION, "all", "all", "7d", "score_psi"));
        assertThat(series).singleElement().satisfies(p -> {
            assertThat(p.estimate()).isEqualTo(0.2);
            assertThat(p.n()).isEqualTo(900);
            assertThat(p.lower()).isNull();
            assertThat(p.pValue()).isEqualTo(0.4);
        });
    }

    @Test
    void shouldStopAddingKeysWhenTheKeyLimitIsReached() {
        SnapshotHistory history = new SnapshotHistory(3, 10);
        history.record(StatusApiFixtures.fleetOnDay(1));

        assertThat(history.size()).isEqualTo(10);
    }

    @Test
    void shouldServeFleetWorstFirstWithAlertsOverHttp() throws Exception {
        snapshots.set(StatusApiFixtures.fleetOnDay(30));
        alerts.set(List.of(StatusApiFixtures.resolvedAlert(), StatusApiFixtures.firingAlert()));

        JsonNode fleet = getJson("/api/fleet", 200);
        assertThat(fleet.path("counts").path("alerting").asInt()).isEqualTo(1);
        assertThat(fleet.path("counts").path("drifting").asInt()).isEqualTo(1);
        assertThat(fleet.path("counts").path("ok").asInt()).isEqualTo(8);
        assertThat(fleet.path("alerts")).hasSize(1);
        assertThat(fleet.path("alerts").get(0).path("id").asText()).isEqualTo("a-0001");
        JsonNode first = fleet.path("rows").get(0);
        assertThat(first.path("slice_value").asText()).isEqualTo(AFFECTED);
        assertThat(first.path("status").asText()).isEqualTo("alerting");
        assertThat(first.path("key_prefix").asText()).isEqualTo(MODEL + "|" + VERSION + "|scanner|" + AFFECTED + "|");
        assertThat(first.path("metrics").path("score_psi").path("window").asText())
                .isEqualTo("7d");

        JsonNode scanners = getJson("/api/fleet?slice=scanner", 200);
        assertThat(scanners.path("rows")).hasSize(6);
    }

    @Test
    void shouldFilterSnapshotsExactlyOverHttp() throws Exception {
        snapshots.set(StatusApiFixtures.fleetOnDay(30));

        JsonNode one =
                getJson("/api/snapshots?slice=scanner&value=" + enc(AFFECTED) + "&window=7d&metric=score_psi", 200);
        assertThat(one.path("count").asInt()).isEqualTo(1);
        assertThat(one.path("snapshots").get(0).path("p_value").asDouble()).isEqualTo(1e-12);
        JsonNode slice =
                getJson("/api/snapshots?model=" + MODEL + "&version=" + VERSION + "&slice=site&value=S01", 200);
        assertThat(slice.path("count").asInt()).isEqualTo(3 * (14 + 20));
        assertThat(getJson("/api/snapshots?value=S0", 200).path("count").asInt())
                .isZero();
    }

    @Test
    void shouldServeHistoryByKeyAndBySlice() throws Exception {
        for (List<MetricSnapshot> day : StatusApiFixtures.timeline(8)) {
            snapshots.set(day);
            api.recordHistory();
        }
        String key = String.join("|", MODEL, VERSION, "scanner", AFFECTED, "7d", "score_psi");

        JsonNode byKey = getJson("/api/history?key=" + enc(key), 200);
        assertThat(byKey.path("points")).hasSize(5);
        assertThat(byKey.path("points").get(4).path("window_end").asText()).isEqualTo("2025-03-09T00:00:00Z");
        JsonNode bySlice = getJson(
                "/api/history?model=" + MODEL + "&version=" + VERSION + "&slice=scanner&value=" + enc(AFFECTED), 200);
        assertThat(bySlice.path("series")).hasSize(3 * 14);
        assertThat(bySlice.path("series").findValuesAsText("metric"))
                .contains("score_psi", "flip_rate")
                .doesNotContain("reliability_observed:0");
        getJson("/api/history?key=" + enc("no|such|key"), 404);
        getJson("/api/history?model=" + MODEL, 400);
    }

    @Test
    void shouldReportStreamStateAndCounts() throws Exception {
        snapshots.set(StatusApiFixtures.fleetOnDay(30));
        alerts.set(List.of(StatusApiFixtures.firingAlert()));

        JsonNode status = getJson("/api/status", 200);
        assertThat(status.path("stream_state").asText()).isEqualTo("RUNNING");
        assertThat(status.path("ready").asBoolean()).isTrue();
        assertThat(status.path("snapshots").asInt()).isEqualTo(snapshots.get().size());
        assertThat(status.path("slices").asInt()).isEqualTo(10);
        assertThat(status.path("alerts_firing").asInt()).isEqualTo(1);
        assertThat(status.path("latest_window_end").asText()).isEqualTo("2025-03-31T00:00:00Z");
        assertThat(getJson("/api/", 200).path("endpoints").has("/api/fleet")).isTrue();
        getJson("/api/nope", 404);
    }

    @Test
    void shouldReportThisInstancesActiveAndStandbyTasksWhenKafkaStreamsAssignedThem() throws Exception {
        // Two threads, task ids out of order: the API lists them merged and ordered by task id.
        ThreadMetadata t1 = thread(
                "t1",
                Set.of(task(1, 2, "app-drift-partials-repartition"), task(0, 2, "in.predictions", "in.ground-truth")),
                Set.of(task(1, 0, "app-drift-partials-repartition")));
        ThreadMetadata t2 = thread("t2", Set.of(task(0, 1, "in.predictions", "in.ground-truth")), Set.of());
        tasks.set(LocalTasks.of(List.of(t1, t2)));

        JsonNode status = getJson("/api/status", 200);
        assertThat(status.path("tasks").path("active").findValuesAsText("id")).containsExactly("0_1", "0_2", "1_2");
        assertThat(status.path("tasks").path("standby").findValuesAsText("id")).containsExactly("1_0");
        JsonNode first = status.path("tasks").path("active").get(0).path("partitions");
        assertThat(first.findValuesAsText("topic")).containsExactly("in.ground-truth", "in.predictions");
        assertThat(first.findValuesAsText("partition")).containsExactly("1", "1");
        assertThat(status.path("tasks")
                        .path("standby")
                        .get(0)
                        .path("partitions")
                        .get(0)
                        .path("topic")
                        .asText())
                .isEqualTo("app-drift-partials-repartition");

        tasks.set(LocalTasks.none());
        assertThat(getJson("/api/status", 200).path("tasks").path("active")).isEmpty();
    }

    private static TaskMetadata task(int subtopology, int partition, String... topics) {
        Set<TopicPartition> parts = new HashSet<>();
        for (String t : topics) {
            parts.add(new TopicPartition(t, partition));
        }
        return new TaskMetadataImpl(new TaskId(subtopology, partition), parts, Map.of(), Map.of(), Optional.empty());
    }

    private static ThreadMetadata thread(String name, Set<TaskMetadata> active, Set<TaskMetadata> standby) {
        return new ThreadMetadataImpl(
                name, "RUNNING", name + "-consumer", name + "-restore-consumer", "", "admin", active, standby);
    }

    @Test
    void shouldServeTheBundledPageAndNothingOutsideIt() throws Exception {
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow())
                .contains("default-src 'self'");
        assertThat(page.body())
                .contains("id=\"fleet-table\"")
                .contains("src=\"app.js\"")
                .doesNotContain("http://", "https://");
        assertThat(get("/app.js").statusCode()).isEqualTo(200);
        // nothing fetched from elsewhere; the SVG namespace is a name, not a download
        assertThat(get("/app.js").body().replace("http://www.w3.org/2000/svg", ""))
                .doesNotContain("http://", "https://");
        assertThat(get("/style.css").headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
        assertThat(get("/nothing.js").statusCode()).isEqualTo(404);
        assertThat(get("/..%2Flogback.xml").statusCode()).isEqualTo(404);
        assertThat(get("/scenarios/default.json").statusCode()).isEqualTo(404);
        HttpResponse<String> post = client.send(
                HttpRequest.newBuilder(URI.create(http.uri() + "/api/fleet"))
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
    }

    private JsonNode getJson(String path, int expectedStatus) throws Exception {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as(path).isEqualTo(expectedStatus);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        return Json.mapper().readTree(r.body());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(
                HttpRequest.newBuilder(URI.create(http.uri() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unused")
    private static List<MetricSnapshot> copy(List<MetricSnapshot> in) {
        return new ArrayList<>(in);
    }
}
