package io.vigil.adapters.fhir;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vigil.adapters.AcknowledgedSends;
import io.vigil.config.VigilConfig;
import io.vigil.topics.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueSeverity;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FHIR R4 HTTP endpoint of {@code vigil ingest fhir}: the JDK's HTTP server on {@value VigilConfig#FHIR_BIND}:
 * {@value VigilConfig#FHIR_PORT}, taking {@code POST /fhir/DiagnosticReport}, {@code POST /fhir/Observation} and
 * {@code POST /fhir} (a transaction or batch Bundle) as {@code application/fhir+json} (or {@code
 * application/json}), answered by a {@link FhirReceiver} that produces through an idempotent producer ({@code
 * acks=all}). What the HTTP layer refuses itself: 404 another path, 405 another method, 415 another content
 * type, 413 a body over {@value VigilConfig#FHIR_MAX_BODY_BYTES}; each with an OperationOutcome.
 */
public final class FhirListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FhirListener.class);

    /** The path below which the endpoint answers (the FHIR base URL is {@code http://host:port/fhir}). */
    public static final String BASE = "/fhir";

    static final String FHIR_JSON = "application/fhir+json; charset=utf-8";
    private static final Set<String> MEDIA_TYPES =
            Set.of("application/fhir+json", "application/json", "application/json+fhir");

    private final HttpServer server;
    private final ExecutorService executor;
    private final Producer<byte[], byte[]> producer;
    private final FhirReceiver receiver;
    private final int maxBodyBytes;

    private FhirListener(
            HttpServer server,
            ExecutorService executor,
            Producer<byte[], byte[]> producer,
            FhirReceiver receiver,
            int maxBodyBytes) {
        this.server = server;
        this.executor = executor;
        this.producer = producer;
        this.receiver = receiver;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** The mapping of {@value VigilConfig#FHIR_MAPPING_FILE}, or the built-in default when it is empty. */
    public static FhirMapping mapping(VigilConfig config) {
        String file = config.getString(VigilConfig.FHIR_MAPPING_FILE);
        return file.isEmpty() ? FhirMapping.defaults() : FhirMapping.load(Path.of(file));
    }

    /**
     * Starts listening with the configured mapping.
     *
     * @throws IllegalArgumentException when the mapping file is unreadable or invalid
     * @throws IllegalStateException    when the endpoint cannot bind its port
     */
    public static FhirListener start(VigilConfig config) {
        FhirMapping mapping = mapping(config);
        return start(config, mapping, newProducer(config, "vigil-fhir"));
    }

    /** Starts listening with {@code mapping}, producing through {@code producer} (closed by {@link #close()}). */
    public static FhirListener start(VigilConfig config, FhirMapping mapping, Producer<byte[], byte[]> producer) {
        Topics topics = Topics.from(config);
        FhirReceiver receiver = new FhirReceiver(
                new FhirMapper(mapping),
                producer,
                topics.groundTruth().name(),
                topics.deadLetters().name());
        String bind = config.getString(VigilConfig.FHIR_BIND);
        int port = config.getInt(VigilConfig.FHIR_PORT);
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(bind, port), 64);
        } catch (IOException e) {
            producer.close(Duration.ofSeconds(10));
            throw new IllegalStateException("cannot listen on " + bind + ":" + port + " (" + e.getMessage() + ")", e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "vigil-fhir-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        FhirListener listener =
                new FhirListener(server, executor, producer, receiver, config.getInt(VigilConfig.FHIR_MAX_BODY_BYTES));
        server.createContext(BASE, listener::handle);
        server.start();
        LOG.info(
                "Listening for FHIR R4 on http://{}{}; ground truth to {}, dead letters to {}",
                server.getAddress().getHostString() + ":" + server.getAddress().getPort(),
                BASE,
                topics.groundTruth().name(),
                topics.deadLetters().name());
        return listener;
    }

    /**
     * A producer with {@link AcknowledgedSends#producerSettings}: it gives up within about 30 s when Kafka is away,
     * so the sender gets its 503 before its own HTTP timeout (which should be longer).
     */
    static KafkaProducer<byte[], byte[]> newProducer(VigilConfig config, String clientId) {
        return new KafkaProducer<>(
                AcknowledgedSends.producerSettings(config, clientId),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            FhirReceiver.Accepts accepts = switch (path) {
                case BASE, BASE + "/" -> FhirReceiver.Accepts.TRANSACTION_OR_BATCH;
                case BASE + "/DiagnosticReport" -> FhirReceiver.Accepts.DIAGNOSTIC_REPORT;
                case BASE + "/Observation" -> FhirReceiver.Accepts.OBSERVATION;
                default -> null;
            };
            if (accepts == null) {
                respond(
                        exchange,
                        404,
                        IssueType.NOTSUPPORTED,
                        "only POST /fhir, /fhir/DiagnosticReport and " + "/fhir/Observation are served");
                return;
            }
            if (!"POST".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().set("Allow", "POST");
                respond(exchange, 405, IssueType.NOTSUPPORTED, "only POST is served");
                return;
            }
            String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
            String media = contentType == null
                    ? ""
                    : contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
            if (!MEDIA_TYPES.contains(media)) {
                respond(exchange, 415, IssueType.NOTSUPPORTED, "Content-Type must be application/fhir+json");
                return;
            }
            byte[] body = read(exchange.getRequestBody());
            if (body == null) {
                respond(
                        exchange,
                        413,
                        IssueType.TOOLONG,
                        "the body is larger than fhir.max-body-bytes (" + maxBodyBytes + " bytes)");
                return;
            }
            FhirReceiver.Response response = receiver.receive(body, accepts, FhirReceiver.Origin.HTTP_REQUEST);
            if (response.status() == 503) {
                exchange.getResponseHeaders().set("Retry-After", "30");
            }
            send(exchange, response.status(), response.json());
        } catch (RuntimeException e) {
            LOG.warn("FHIR request failed: {}", e.getClass().getSimpleName());
            try {
                respond(exchange, 500, IssueType.EXCEPTION, "internal error");
            } catch (IOException | RuntimeException ignored) {
                // the response was already under way; the client sees a truncated body
            }
        }
    }

    /** The body, or null when it is longer than the limit (read no further). */
    private byte[] read(InputStream in) throws IOException {
        byte[] body = in.readNBytes(maxBodyBytes + 1);
        return body.length > maxBodyBytes ? null : body;
    }

    private static void respond(HttpExchange exchange, int status, IssueType type, String diagnostics)
            throws IOException {
        OperationOutcome oo = FhirOutcomes.of(IssueSeverity.ERROR, type, diagnostics);
        send(exchange, status, FhirJson.write(oo));
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", FHIR_JSON);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    /** The port listened on (the one picked when {@value VigilConfig#FHIR_PORT} is 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    public FhirReceiver.Counts counts() {
        return receiver.counts();
    }

    @Override
    public void close() {
        server.stop(1);
        executor.shutdownNow();
        producer.close(Duration.ofSeconds(10));
    }
}
