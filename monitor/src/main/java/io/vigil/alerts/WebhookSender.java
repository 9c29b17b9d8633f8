package io.vigil.alerts;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vigil.events.Alert;
import io.vigil.events.Incident;
import io.vigil.serde.JsonSerde;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the alerts topic, or the incidents topic ({@code events = incidents}), to one webhook endpoint, durably.
 * An incident endpoint gets one request per incident transition that changes what an on-call engineer should
 * know: {@code opened}, {@code root_changed}, {@code escalated}, {@code resolved} (an {@code updated} record, new
 * member alerts under the same root, is committed without a request); its {@code webhook-id} is
 * {@code <incident id>-<transition>-<epoch ms>}.
 *
 * <p>The endpoint is a consumer group ({@code <application.id>-webhook-<name>}) reading the alerts
 * topic with {@code read_committed} from the earliest uncommitted offset; an alert's offset is
 * committed only after the receiver answered 2xx, or once its retry horizon (from the record's
 * timestamp) has passed, which counts it as dropped. So a receiver down for hours, or a restart of
 * Vigil, loses nothing; after a crash between a 2xx and the commit, the alert is sent again with the
 * same {@code webhook-id} (the alert id), which receivers use to de-duplicate. Alerts of one partition
 * (hence of one fingerprint) are delivered in order, one at a time.
 *
 * <p>Requests: {@code POST} with {@code content-type: application/json}, Standard Webhooks headers
 * {@code webhook-id}, {@code webhook-timestamp} (Unix seconds of this attempt) and
 * {@code webhook-signature} (one {@code v1,} signature per configured key); redirects are not
 * followed (a 3xx is a failure). Any non-2xx or I/O failure is retried after the full-jitter backoff
 * of {@link Backoff} or the receiver's {@code Retry-After}; {@code 410 Gone} disables the endpoint
 * until Vigil restarts (logged, counted; nothing is committed, so nothing is lost).
 *
 * <p>Meters: {@code vigil_webhook_deliveries_total{endpoint, outcome}} with outcome
 * {@code delivered} (2xx), {@code retried} (a failed attempt that will be retried), {@code dropped}
 * (given up at the horizon, or not a readable alert) and {@code disabled} (410); and
 * {@code vigil_webhook_pending{endpoint}}: alerts not yet delivered (consumer lag plus in flight); and
 * {@code vigil_webhook_disabled{endpoint}}: 1 once the endpoint answered 410 (alert {@code VigilWebhookDisabled}).
 * Secrets and URLs never reach logs or meters.
 */
public final class WebhookSender implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookSender.class);
    private static final Duration IDLE_POLL = Duration.ofMillis(200);
    private static final Duration MAX_WAIT_SLICE = Duration.ofMillis(500);

    /**
     * Retry policy.
     *
     * @param initial cap of the first retry delay
     * @param max     largest computed retry delay
     * @param horizon how long after an alert was written it is retried before it is dropped
     * @param timeout connect and response timeout of one request
     */
    public record Policy(Duration initial, Duration max, Duration horizon, Duration timeout) {}

    /** Outcome of one attempt, as counted. */
    public enum Outcome {
        DELIVERED,
        RETRIED,
        DROPPED,
        DISABLED;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final WebhookEndpoint endpoint;
    private final String topic;
    private final Policy policy;
    private final Clock clock;
    private final RandomGenerator random;
    private final Properties consumerProps;
    private final HttpClient http;
    private final JsonSerde<Alert> alerts = new JsonSerde<>(Alert.class);
    private final JsonSerde<Incident> incidents = new JsonSerde<>(Incident.class);
    private final Map<Outcome, Counter> counters = new EnumMap<>(Outcome.class);
    private final AtomicLong pending = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean disabled;
    private volatile String externalUrl = "";
    private KafkaConsumer<String, byte[]> consumer;

    private final Deque<ConsumerRecord<String, byte[]>> buffer = new ArrayDeque<>();
    private ConsumerRecord<String, byte[]> current;
    private int attempts;
    private Instant nextAttemptAt = Instant.EPOCH;

    /**
     * @param clientSettings Kafka client settings (bootstrap servers, security) for the consumer
     * @param groupId        the endpoint's consumer group
     */
    public WebhookSender(
            WebhookEndpoint endpoint,
            Map<String, Object> clientSettings,
            String groupId,
            String topic,
            Policy policy,
            MeterRegistry registry,
            Clock clock,
            RandomGenerator random) {
        this.endpoint = endpoint;
        this.topic = topic;
        this.policy = policy;
        this.clock = clock;
        this.random = random;
        consumerProps = new Properties();
        consumerProps.putAll(clientSettings);
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100);
        consumerProps.put(ConsumerConfig.CLIENT_ID_CONFIG, groupId);
        http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(policy.timeout())
                .build();
        for (Outcome o : Outcome.values()) {
            counters.put(
                    o,
                    Counter.builder("vigil.webhook.deliveries")
                            .description("Webhook delivery attempts by outcome")
                            .tag("endpoint", endpoint.name())
                            .tag("outcome", o.label())
                            .register(registry));
        }
        Gauge.builder("vigil.webhook.pending", pending, AtomicLong::get)
                .description("Alerts not yet delivered to the endpoint (consumer lag plus in flight)")
                .tag("endpoint", endpoint.name())
                .strongReference(true)
                .register(registry);
        Gauge.builder("vigil.webhook.disabled", this, s -> s.disabled ? 1 : 0)
                .description("1 once the endpoint answered 410 Gone: nothing more is sent to it until Vigil restarts")
                .tag("endpoint", endpoint.name())
                .strongReference(true)
                .register(registry);
        thread = new Thread(this::run, "vigil-webhook-" + endpoint.name());
        thread.setDaemon(true);
    }

    public WebhookSender start() {
        thread.start();
        return this;
    }

    /** Whether the endpoint answered 410 Gone. */
    public boolean disabled() {
        return disabled;
    }

    private void run() {
        try (KafkaConsumer<String, byte[]> c =
                new KafkaConsumer<>(consumerProps, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer = c;
            c.subscribe(List.of(topic), new Rebalance());
            while (running) {
                loopOnce();
            }
        } catch (WakeupException e) {
            if (running) {
                LOG.error("Webhook {}: consumer woken unexpectedly", endpoint.name(), e);
            }
        } catch (RuntimeException e) {
            LOG.error("Webhook {}: sender stopped", endpoint.name(), e);
        }
    }

    private void loopOnce() {
        if (current == null && buffer.isEmpty()) {
            consumer.resume(consumer.paused());
            consumer.poll(IDLE_POLL).forEach(buffer::add);
            if (!buffer.isEmpty()) {
                // Hold further fetches while this batch is delivered; poll() keeps the group membership.
                consumer.pause(consumer.assignment());
            }
        } else {
            Duration wait = Duration.between(clock.instant(), nextAttemptAt);
            if (!wait.isNegative() && !wait.isZero()) {
                consumer.pause(consumer.assignment());
                consumer.poll(wait.compareTo(MAX_WAIT_SLICE) < 0 ? wait : MAX_WAIT_SLICE);
            } else {
                consumer.poll(Duration.ZERO);
            }
        }
        updatePending();
        if (current == null) {
            current = buffer.poll();
            attempts = 0;
            nextAttemptAt = Instant.EPOCH;
        }
        if (current != null && !clock.instant().isBefore(nextAttemptAt)) {
            attempt();
        }
    }

    private void updatePending() {
        long lag = 0;
        for (TopicPartition tp : consumer.assignment()) {
            lag += consumer.currentLag(tp).orElse(0);
        }
        pending.set(lag + buffer.size() + (current == null ? 0 : 1));
    }

    private void attempt() {
        ConsumerRecord<String, byte[]> r = current;
        if (r.value() == null) {
            done(r, null);
            return;
        }
        Message message;
        try {
            message = message(r);
        } catch (RuntimeException e) {
            LOG.warn(
                    "Webhook {}: skipping unreadable {} record at {}-{}@{}: {}",
                    endpoint.name(),
                    endpoint.events().label(),
                    r.topic(),
                    r.partition(),
                    r.offset(),
                    e.getMessage());
            done(r, Outcome.DROPPED);
            return;
        }
        if (message == null) {
            done(r, null); // an incident's member-only update: not a transition to page on
            return;
        }
        byte[] body = message.body();
        Instant now = clock.instant();
        long timestamp = now.getEpochSecond();
        HttpRequest request = HttpRequest.newBuilder(endpoint.url())
                .timeout(policy.timeout())
                .header("content-type", "application/json")
                .header("user-agent", "Vigil")
                .header("webhook-id", message.id())
                .header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", WebhookSignature.header(endpoint.keys(), message.id(), timestamp, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        attempts++;
        int status;
        String retryAfter = null;
        try {
            HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
            status = response.statusCode();
            retryAfter = response.headers().firstValue("retry-after").orElse(null);
        } catch (IOException e) {
            status = -1;
            LOG.debug(
                    "Webhook {}: attempt {} for {} failed: {}",
                    endpoint.name(),
                    attempts,
                    message.id(),
                    e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
            return;
        }
        if (status >= 200 && status < 300) {
            done(r, Outcome.DELIVERED);
        } else if (status == 410) {
            disabled = true;
            running = false;
            counters.get(Outcome.DISABLED).increment();
            LOG.error(
                    "Webhook {}: receiver answered 410 Gone; endpoint disabled until restart ({} not delivered)",
                    endpoint.name(),
                    message.id());
        } else {
            failed(r, message.id(), status, retryAfter);
        }
    }

    /**
     * Where people reach Vigil ({@code http.external-url}, no trailing slash), for the links of Alertmanager-format
     * bodies; call before {@code start}.
     */
    public WebhookSender externalUrl(String url) {
        String u = url == null ? "" : url.strip();
        this.externalUrl = u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
        return this;
    }

    /** A request to send: its {@code webhook-id} (stable across retries) and body. */
    private record Message(String id, byte[] body) {}

    /**
     * The request for a record: an alert (id = the alert id), or an incident transition (id = incident id,
     * transition and time); null for an incident's {@code updated} transition, which is not delivered.
     */
    private Message message(ConsumerRecord<String, byte[]> r) {
        boolean vigil = endpoint.format() == WebhookEndpoint.Format.VIGIL;
        if (endpoint.events() == WebhookEndpoint.Events.INCIDENTS) {
            Incident i = incidents.deserializer().deserialize(r.topic(), r.value());
            if ("updated".equals(i.transition())) {
                return null;
            }
            String id = i.id() + "-" + i.transition() + "-" + i.updatedAt().toEpochMilli();
            return new Message(id, vigil ? r.value() : WebhookBodies.alertmanager(endpoint.name(), i, externalUrl));
        }
        Alert alert = alerts.deserializer().deserialize(r.topic(), r.value());
        return new Message(
                alert.id(), vigil ? r.value() : WebhookBodies.alertmanager(endpoint.name(), alert, externalUrl));
    }

    private void failed(ConsumerRecord<String, byte[]> r, String id, int status, String retryAfter) {
        Instant now = clock.instant();
        Instant giveUpAt = Instant.ofEpochMilli(r.timestamp()).plus(policy.horizon());
        if (!now.isBefore(giveUpAt)) {
            LOG.warn(
                    "Webhook {}: dropping {} after {} attempts (last status {}): retry horizon passed",
                    endpoint.name(),
                    id,
                    attempts,
                    status);
            done(r, Outcome.DROPPED);
            return;
        }
        Duration delay = Backoff.retryAfter(retryAfter, now)
                .orElseGet(() -> Backoff.delay(attempts, policy.initial(), policy.max(), random.nextDouble()));
        Duration remaining = Duration.between(now, giveUpAt);
        nextAttemptAt = now.plus(delay.compareTo(remaining) < 0 ? delay : remaining);
        counters.get(Outcome.RETRIED).increment();
        if (attempts == 1 || Integer.bitCount(attempts) == 1) {
            // Logged at attempts 1, 2, 4, 8, ...: a receiver down for hours must not flood the log.
            LOG.info(
                    "Webhook {}: attempt {} for {} failed (status {}); retrying in {} ms",
                    endpoint.name(),
                    attempts,
                    id,
                    status,
                    Duration.between(now, nextAttemptAt).toMillis());
        }
    }

    private void done(ConsumerRecord<String, byte[]> r, Outcome outcome) {
        if (outcome != null) {
            counters.get(outcome).increment();
        }
        current = null;
        try {
            consumer.commitSync(
                    Map.of(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1)));
        } catch (WakeupException e) {
            throw e;
        } catch (KafkaException e) {
            // Lost the partition in a rebalance: its new owner re-sends from the last commit, same webhook-id.
            LOG.warn(
                    "Webhook {}: commit after {}-{}@{} failed: {}",
                    endpoint.name(),
                    r.topic(),
                    r.partition(),
                    r.offset(),
                    e.getClass().getSimpleName());
        }
    }

    /** Drops in-flight work of revoked partitions and rewinds the rest to their first undelivered record. */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            Map<TopicPartition, Long> firstUndelivered = new HashMap<>();
            if (current != null) {
                firstUndelivered.put(new TopicPartition(current.topic(), current.partition()), current.offset());
            }
            for (ConsumerRecord<String, byte[]> r : buffer) {
                firstUndelivered.merge(new TopicPartition(r.topic(), r.partition()), r.offset(), Math::min);
            }
            buffer.clear();
            current = null;
            Set<TopicPartition> kept = new HashSet<>(consumer.assignment());
            kept.removeAll(revoked);
            firstUndelivered.forEach((tp, offset) -> {
                if (kept.contains(tp)) {
                    consumer.seek(tp, offset);
                }
            });
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
            // Positions start at the committed offsets.
        }
    }

    @Override
    public void close() {
        running = false;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(Duration.ofSeconds(10).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
