package io.vigil.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.sun.net.httpserver.HttpExchange;
import io.vigil.events.Alert;
import io.vigil.events.MetricSnapshot;
import io.vigil.serde.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The status page ({@code /}, static assets from the classpath folder {@code web/}) and its JSON API
 * under {@code /api/}:
 * <ul>
 *   <li>{@code GET /api/} lists the endpoints;</li>
 *   <li>{@code GET /api/fleet[?slice=DIM]}: {@link Fleet} rows worst first, the firing alerts and counts;</li>
 *   <li>{@code GET /api/snapshots?model=&version=&slice=&value=&window=&metric=}: latest snapshots, every
 *       filter optional and exact;</li>
 *   <li>{@code GET /api/history?key=KEY}: the bounded series of one snapshot key, or
 *       {@code ?model=&version=&slice=&value=} (all four) for every series of one slice;</li>
 *   <li>{@code GET /api/status}: stream state, counts, and this instance's active and standby Kafka
 *       Streams tasks ({@link LocalTasks}).</li>
 * </ul>
 * Only aggregate metric snapshots and alerts are served; they carry no patient, study or prediction
 * identifiers. The history is fed by {@link #recordHistory()}, on a schedule once {@link #start} is
 * called, and before every API answer.
 */
public final class StatusApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StatusApi.class);
    private static final String JSON = "application/json; charset=utf-8";
    private static final int MAX_PARAM_LENGTH = 512;
    private static final Pattern ASSET = Pattern.compile("[a-z0-9][a-z0-9_-]*\\.(html|css|js|svg|png|ico)");
    private static final Map<String, String> CONTENT_TYPES = Map.of(
            "html",
            "text/html; charset=utf-8",
            "css",
            "text/css; charset=utf-8",
            "js",
            "text/javascript; charset=utf-8",
            "svg",
            "image/svg+xml",
            "png",
            "image/png",
            "ico",
            "image/x-icon");
    /** Endpoints as listed by {@code /api/}. */
    static final Map<String, String> ENDPOINTS = endpoints();

    private final Supplier<? extends Collection<MetricSnapshot>> snapshots;
    private final Supplier<? extends Collection<Alert>> alerts;
    private final Supplier<String> streamState;
    private final Supplier<LocalTasks> tasks;
    private final SnapshotHistory history;
    private final Instant startedAt = Instant.now();
    private ScheduledExecutorService recorder;

    /**
     * @param snapshots   the latest snapshots (e.g. {@link Monitor#latestSnapshots()})
     * @param alerts      the active alerts; firing ones mark rows alerting
     * @param streamState the Kafka Streams state name, e.g. {@code RUNNING}
     * @param history     where the series are kept
     */
    public StatusApi(
            Supplier<? extends Collection<MetricSnapshot>> snapshots,
            Supplier<? extends Collection<Alert>> alerts,
            Supplier<String> streamState,
            SnapshotHistory history) {
        this(snapshots, alerts, streamState, LocalTasks::none, history);
    }

    /**
     * @param tasks this instance's Kafka Streams tasks (e.g. from {@code metadataForLocalThreads()})
     * @see #StatusApi(Supplier, Supplier, Supplier, SnapshotHistory)
     */
    public StatusApi(
            Supplier<? extends Collection<MetricSnapshot>> snapshots,
            Supplier<? extends Collection<Alert>> alerts,
            Supplier<String> streamState,
            Supplier<LocalTasks> tasks,
            SnapshotHistory history) {
        this.snapshots = Objects.requireNonNull(snapshots, "snapshots");
        this.alerts = Objects.requireNonNull(alerts, "alerts");
        this.streamState = Objects.requireNonNull(streamState, "streamState");
        this.tasks = Objects.requireNonNull(tasks, "tasks");
        this.history = Objects.requireNonNull(history, "history");
    }

    /** Adds {@code /} (the page) and {@code /api/} to the server. More specific routes added elsewhere win. */
    public void registerOn(HttpServerRunner http) {
        http.routeTree("/api/", this::api);
        http.routeTree("/", this::asset);
    }

    /** Records the history every {@code interval} on a daemon thread until {@link #close()}. */
    public synchronized void start(Duration interval) {
        if (recorder != null) {
            return;
        }
        recorder = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vigil-status-history");
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(10, interval.toMillis());
        recorder.scheduleWithFixedDelay(
                () -> {
                    try {
                        recordHistory();
                    } catch (RuntimeException e) {
                        LOG.warn("Recording the snapshot history failed: {}", e.toString());
                    }
                },
                ms,
                ms,
                TimeUnit.MILLISECONDS);
    }

    /** Adds the current snapshots to the history. */
    public void recordHistory() {
        history.record(snapshots.get());
    }

    /** The fleet rows for the current snapshots and alerts, worst first. */
    public List<Fleet.Row> fleet() {
        return Fleet.rows(snapshots.get(), alerts.get());
    }

    /** The current alerts from the alert source, firing and resolved. */
    public List<Alert> alerts() {
        return List.copyOf(alerts.get());
    }

    /** The history behind this API. */
    public SnapshotHistory history() {
        return history;
    }

    @Override
    public synchronized void close() {
        if (recorder != null) {
            recorder.shutdownNow();
            recorder = null;
        }
    }

    private void api(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        Map<String, String> q;
        try {
            q = query(exchange.getRequestURI().getRawQuery());
        } catch (IllegalArgumentException e) {
            json(exchange, 400, Map.of("error", e.getMessage()));
            return;
        }
        recordHistory();
        switch (path) {
            case "/api/", "/api" -> json(exchange, 200, Map.of("endpoints", ENDPOINTS));
            case "/api/fleet" -> json(exchange, 200, fleetBody(q.get("slice")));
            case "/api/snapshots" -> json(exchange, 200, snapshotsBody(q));
            case "/api/history" -> history(exchange, q);
            case "/api/status" -> json(exchange, 200, statusBody());
            default -> json(exchange, 404, Map.of("error", "no such endpoint; see /api/"));
        }
    }

    private Map<String, Object> fleetBody(String slice) {
        List<Alert> firing = alerts.get().stream()
                .filter(a -> a.status() == Alert.Status.FIRING)
                .sorted(Comparator.comparing(Alert::severity).reversed().thenComparing(Alert::startedAt))
                .toList();
        List<Fleet.Row> rows = Fleet.rows(snapshots.get(), firing);
        if (slice != null) {
            rows = rows.stream().filter(r -> r.sliceDimension().equals(slice)).toList();
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("generated_at", Instant.now());
        body.put("counts", counts(rows));
        body.put("thresholds", thresholds());
        body.put("alerts", firing);
        body.put("rows", rows);
        return body;
    }

    private Map<String, Object> snapshotsBody(Map<String, String> q) {
        List<MetricSnapshot> out = new ArrayList<>();
        for (MetricSnapshot s : snapshots.get()) {
            if (matches(q.get("model"), s.model())
                    && matches(q.get("version"), s.version())
                    && matches(q.get("slice"), s.sliceDimension())
                    && matches(q.get("value"), s.sliceValue())
                    && matches(q.get("window"), s.window())
                    && matches(q.get("metric"), s.metric())) {
                out.add(s);
            }
        }
        out.sort(Comparator.comparing(MetricSnapshot::key));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("count", out.size());
        body.put("snapshots", out);
        return body;
    }

    private void history(HttpExchange exchange, Map<String, String> q) throws IOException {
        String key = q.get("key");
        if (key != null) {
            if (!history.contains(key)) {
                json(exchange, 404, Map.of("error", "no history for this key"));
                return;
            }
            json(exchange, 200, Map.of("key", key, "capacity", history.capacity(), "points", history.series(key)));
            return;
        }
        String model = q.get("model");
        String version = q.get("version");
        String slice = q.get("slice");
        String value = q.get("value");
        if (model == null || version == null || slice == null || value == null) {
            json(exchange, 400, Map.of("error", "give key, or all of model, version, slice and value"));
            return;
        }
        String prefix = String.join("|", model, version, slice, value) + "|";
        List<Map<String, Object>> series = new ArrayList<>();
        history.seriesWithPrefix(prefix).entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> {
                    String rest = e.getKey().substring(prefix.length());
                    int bar = rest.indexOf('|');
                    if (bar < 0) {
                        return;
                    }
                    Map<String, Object> one = new LinkedHashMap<>();
                    one.put("key", e.getKey());
                    one.put("window", rest.substring(0, bar));
                    one.put("metric", rest.substring(bar + 1));
                    one.put("points", e.getValue());
                    series.add(one);
                });
        json(exchange, 200, Map.of("capacity", history.capacity(), "series", series));
    }

    private Map<String, Object> statusBody() {
        Collection<MetricSnapshot> all = snapshots.get();
        List<Fleet.Row> rows = Fleet.rows(all, alerts.get());
        Map<String, Object> body = new LinkedHashMap<>();
        String state = streamState.get();
        body.put("stream_state", state);
        body.put("ready", "RUNNING".equals(state));
        body.put("started_at", startedAt);
        body.put("snapshots", all.size());
        body.put("slices", rows.size());
        body.put("fleet", counts(rows));
        body.put(
                "alerts_firing",
                alerts.get().stream()
                        .filter(a -> a.status() == Alert.Status.FIRING)
                        .count());
        all.stream()
                .map(MetricSnapshot::computedAt)
                .max(Comparator.naturalOrder())
                .ifPresent(t -> body.put("latest_computed_at", t));
        all.stream()
                .map(MetricSnapshot::windowEnd)
                .filter(Objects::nonNull)
                .max(Comparator.naturalOrder())
                .ifPresent(t -> body.put("latest_window_end", t));
        body.put("history", Map.of("keys", history.size(), "capacity", history.capacity()));
        // Which share of the work this instance has: with several instances, each lists only its own.
        body.put("tasks", tasks.get());
        return body;
    }

    private static Map<String, Long> counts(List<Fleet.Row> rows) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Fleet.Status s : Fleet.Status.values()) {
            counts.put(s.json(), rows.stream().filter(r -> r.status() == s).count());
        }
        return counts;
    }

    private static Map<String, Object> thresholds() {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("p_value", Fleet.P_VALUE_THRESHOLD);
        t.put("min_n", Fleet.MIN_N);
        return t;
    }

    private void asset(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String name = path.equals("/") ? "index.html" : path.substring(1);
        if (!ASSET.matcher(name).matches()) {
            HttpServerRunner.respond(exchange, 404, "text/plain", "not found\n");
            return;
        }
        byte[] body;
        try (InputStream in = StatusApi.class.getResourceAsStream("/web/" + name)) {
            if (in == null) {
                HttpServerRunner.respond(exchange, 404, "text/plain", "not found\n");
                return;
            }
            body = in.readAllBytes();
        }
        String ext = name.substring(name.lastIndexOf('.') + 1);
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPES.get(ext));
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        // Everything the page needs is served from here: no CDN, no inline script.
        exchange.getResponseHeaders()
                .set(
                        "Content-Security-Policy",
                        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'");
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(200, head ? -1 : body.length);
        if (!head) {
            exchange.getResponseBody().write(body);
        }
    }

    private static void json(HttpExchange exchange, int status, Object body) throws IOException {
        String text;
        try {
            text = Json.writer().writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IOException("cannot serialise the API answer: " + Json.describe(e), e);
        }
        HttpServerRunner.respond(exchange, status, JSON, text);
    }

    private static boolean matches(String wanted, String actual) {
        return wanted == null || wanted.equals(actual);
    }

    /** Decodes a query string; repeated names keep the last value. */
    static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (name.length() > MAX_PARAM_LENGTH || value.length() > MAX_PARAM_LENGTH) {
                throw new IllegalArgumentException("query parameter longer than " + MAX_PARAM_LENGTH + " characters");
            }
            if (!value.isEmpty()) {
                out.put(name, value);
            }
        }
        return out;
    }

    private static Map<String, String> endpoints() {
        Map<String, String> e = new LinkedHashMap<>();
        e.put(
                "/api/fleet",
                "Fleet rows (model, version, slice) worst first with status, signals, alerts and key "
                        + "metrics; ?slice=DIM to filter by slice dimension");
        e.put(
                "/api/snapshots",
                "Latest metric snapshots; optional exact filters model, version, slice, value, " + "window, metric");
        e.put(
                "/api/history",
                "Bounded series: ?key=SNAPSHOT_KEY, or ?model=&version=&slice=&value= for every "
                        + "series of one slice");
        e.put(
                "/api/status",
                "Stream state, snapshot and slice counts, fleet status counts, history size, this "
                        + "instance's active and standby Kafka Streams tasks");
        return e;
    }
}
