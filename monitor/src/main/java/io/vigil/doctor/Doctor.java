package io.vigil.doctor;

import io.vigil.alerts.AlertSettings;
import io.vigil.alerts.WebhookEndpoint;
import io.vigil.config.VigilConfig;
import io.vigil.events.EventValidator;
import io.vigil.events.GroundTruth;
import io.vigil.events.Prediction;
import io.vigil.events.Validation;
import io.vigil.topics.JoinPartitions;
import io.vigil.topics.Topics;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code vigil doctor}: checks, before {@code vigil run}, what a first deployment gets wrong, and says for
 * each failure what to do. Every Kafka call has a deadline, so the whole run takes well under 30 s and an
 * unreachable broker is one sentence within about 10 s. Record contents are never printed: the sample
 * check reports counts and reason codes only.
 */
public final class Doctor {
    /** Deadline of each Kafka call. */
    static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(8);
    /** Recent records read per input partition for the schema check. */
    static final int SAMPLE_PER_PARTITION = 50;
    /** Free space below which the state directory is a warning. */
    static final long MIN_FREE_BYTES = 1L << 30;

    private final VigilConfig config;
    private final Topics topics;

    public Doctor(VigilConfig config) {
        this.config = config;
        this.topics = Topics.from(config);
    }

    /** Runs every check, in order; Kafka's topic checks are skipped when the cluster cannot be reached. */
    public List<Check> run() {
        List<Check> out = new ArrayList<>();
        Map<String, Object> settings = new HashMap<>(config.kafkaClientSettings());
        settings.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, "vigil-doctor");
        settings.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) KAFKA_TIMEOUT.toMillis());
        settings.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) KAFKA_TIMEOUT.toMillis());
        try (Admin admin = Admin.create(settings)) {
            Check reach = reachable(admin, settings);
            out.add(reach);
            if (reach.status() == Check.Status.PASS) {
                Map<String, TopicDescription> described = describe(admin);
                out.addAll(topicChecks(admin, described));
                out.add(acls(admin, described));
                out.addAll(sample(settings, described));
            } else {
                out.add(Check.skip("topics, ACLs, recent records", "not checked: Kafka cannot be reached"));
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            out.add(Check.fail(
                    "Kafka client settings",
                    "rejected: " + e.getMessage(),
                    "correct the kafka.* settings (docs/configuration.md)"));
        }
        out.add(stateDir());
        out.addAll(webhooks());
        out.add(httpPort());
        return out;
    }

    private Check reachable(Admin admin, Map<String, Object> settings) {
        String name = "Kafka reachable and authenticated";
        String where = settings.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG) + " over "
                + settings.getOrDefault(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT");
        try {
            DescribeClusterResult cluster =
                    admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) KAFKA_TIMEOUT.toMillis()));
            String id = cluster.clusterId().get(KAFKA_TIMEOUT.toMillis() + 1_000, TimeUnit.MILLISECONDS);
            int brokers = cluster.nodes()
                    .get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .size();
            return Check.pass(name, "cluster " + id + " at " + where + ", " + brokers + " broker(s)");
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            return Check.fail(
                    name,
                    "no answer from " + where + " within " + KAFKA_TIMEOUT.toSeconds() + " s ("
                            + cause.getClass().getSimpleName() + ")",
                    "check bootstrap.servers, that the broker runs and this host can reach it, and the"
                            + " kafka.security.protocol / SASL / TLS settings");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Check.fail(name, "interrupted", "run again");
        }
    }

    private Map<String, TopicDescription> describe(Admin admin) {
        Map<String, TopicDescription> out = new TreeMap<>();
        for (NewTopic t : expected()) {
            try {
                out.put(
                        t.name(),
                        admin.describeTopics(
                                        List.of(t.name()),
                                        new DescribeTopicsOptions().includeAuthorizedOperations(true))
                                .allTopicNames()
                                .get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                                .get(t.name()));
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    out.put(t.name(), null);
                }
            } catch (TimeoutException e) {
                out.put(t.name(), null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return out;
    }

    private List<NewTopic> expected() {
        return topics.definitions(
                config.getInt(VigilConfig.TOPIC_PARTITIONS),
                config.getShort(VigilConfig.TOPIC_REPLICATION),
                config.getLong(VigilConfig.TOPIC_INPUT_RETENTION_MS));
    }

    private List<Check> topicChecks(Admin admin, Map<String, TopicDescription> described) {
        List<Check> out = new ArrayList<>();
        boolean create = config.getBoolean(VigilConfig.TOPIC_CREATE);
        List<String> missing = new ArrayList<>();
        for (NewTopic t : expected()) {
            if (!described.containsKey(t.name())) {
                missing.add(t.name());
            }
        }
        if (missing.isEmpty()) {
            out.add(Check.pass("topics present", "all " + expected().size() + " topics Vigil reads and writes"));
        } else if (create) {
            out.add(Check.warn(
                    "topics present",
                    "missing " + missing + "; vigil run creates them (topic.create=true)",
                    "nothing, if Vigil may create topics; otherwise create them as in docs/operations.md"));
        } else {
            out.add(Check.fail(
                    "topics present",
                    "missing " + missing + " (topic.create=false)",
                    "create them, e.g. kafka-topics.sh --bootstrap-server ... --create --topic " + missing.get(0)
                            + " --partitions " + config.getInt(VigilConfig.TOPIC_PARTITIONS)));
        }
        // Cleanup policy of the topics read as tables.
        List<String> notCompacted = new ArrayList<>();
        for (NewTopic t : expected()) {
            String wanted = t.configs() == null ? null : t.configs().get(TopicConfig.CLEANUP_POLICY_CONFIG);
            if (wanted == null || described.get(t.name()) == null) {
                continue;
            }
            String actual = cleanupPolicy(admin, t.name());
            if (actual != null && !actual.contains(wanted)) {
                notCompacted.add(t.name() + " (" + actual + ")");
            }
        }
        out.add(
                notCompacted.isEmpty()
                        ? Check.pass("cleanup policy", "every topic read as a table is compacted")
                        : Check.fail(
                                "cleanup policy",
                                "not compacted: " + notCompacted,
                                "kafka-configs.sh --alter --entity-type topics --entity-name ... --add-config"
                                        + " cleanup.policy=compact"));
        // The outcome join's partitions: records in the topic with fewer partitions are rarely in place.
        TopicDescription p = described.get(topics.predictions().name());
        TopicDescription g = described.get(topics.groundTruth().name());
        if (p != null && g != null) {
            int pp = p.partitions().size();
            int gp = g.partitions().size();
            if (!config.getBoolean(VigilConfig.OUTCOMES_JOIN_CO_PARTITIONED)) {
                out.add(Check.pass(
                        "input partitions",
                        p.name() + " " + pp + ", " + g.name() + " " + gp
                                + " (every record takes the join's repartition topic: "
                                + "outcomes.join.co-partitioned=false)"));
            } else if (pp == gp) {
                out.add(Check.pass("input partitions", p.name() + " and " + g.name() + " have " + pp + " each"));
            } else {
                out.add(Check.warn(
                        "input partitions",
                        p.name() + " has " + pp + ", " + g.name() + " has " + gp + ": the outcome join has "
                                + Math.max(pp, gp) + " partitions, so most records of the topic with fewer"
                                + " go through its repartition topic (one more write and read each; nothing is lost)",
                        "give both topics the same number of partitions"));
            }
        }
        return out;
    }

    private static String cleanupPolicy(Admin admin, String topic) {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try {
            Config c = admin.describeConfigs(List.of(r))
                    .all()
                    .get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .get(r);
            return c.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
        } catch (ExecutionException | TimeoutException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * What Vigil needs on each topic, against what the broker says this principal may do. Brokers without
     * an authorizer report nothing, which is said rather than passed.
     */
    private Check acls(Admin admin, Map<String, TopicDescription> described) {
        Map<String, Set<AclOperation>> needed = new LinkedHashMap<>();
        needed.put(topics.predictions().name(), Set.of(AclOperation.READ));
        needed.put(topics.groundTruth().name(), Set.of(AclOperation.READ));
        needed.put(topics.deadLetters().name(), Set.of(AclOperation.WRITE));
        needed.put(topics.snapshots().name(), Set.of(AclOperation.READ, AclOperation.WRITE));
        needed.put(topics.alerts().name(), Set.of(AclOperation.READ, AclOperation.WRITE));
        needed.put(topics.incidents().name(), Set.of(AclOperation.WRITE));
        List<String> lacking = new ArrayList<>();
        boolean anyKnown = false;
        for (Map.Entry<String, Set<AclOperation>> e : needed.entrySet()) {
            TopicDescription d = described.get(e.getKey());
            if (d == null || d.authorizedOperations() == null) {
                continue;
            }
            anyKnown = true;
            Set<AclOperation> allowed = d.authorizedOperations();
            for (AclOperation op : e.getValue()) {
                if (!allowed.contains(op) && !allowed.contains(AclOperation.ALL)) {
                    lacking.add(op + " on " + e.getKey());
                }
            }
        }
        if (!anyKnown) {
            return Check.skip("ACLs", "the broker reports no authorized operations (no authorizer, or topics missing)");
        }
        return lacking.isEmpty()
                ? Check.pass("ACLs", "READ on the inputs, WRITE on the outputs")
                : Check.fail(
                        "ACLs",
                        "this principal lacks " + lacking,
                        "grant them, e.g. kafka-acls.sh --add --allow-principal User:vigil --operation READ"
                                + " --topic ...");
    }

    private static int partitionCount(Map<String, TopicDescription> described, String topic) {
        TopicDescription d = described.get(topic);
        return d == null ? 0 : d.partitions().size();
    }

    /**
     * Up to {@link #SAMPLE_PER_PARTITION} recent records per input partition, validated, and whether each valid
     * one is in the outcome join's partition of its prediction id; counts only.
     */
    private List<Check> sample(Map<String, Object> settings, Map<String, TopicDescription> described) {
        String name = "recent input records";
        Map<String, Object> c = new HashMap<>(settings);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) KAFKA_TIMEOUT.toMillis());
        c.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) KAFKA_TIMEOUT.toMillis());
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        List<TopicPartition> partitions = new ArrayList<>();
        for (String t :
                List.of(topics.predictions().name(), topics.groundTruth().name())) {
            TopicDescription d = described.get(t);
            if (d != null) {
                d.partitions().forEach(p -> partitions.add(new TopicPartition(t, p.partition())));
            }
        }
        if (partitions.isEmpty()) {
            return List.of(Check.skip(name, "no input topic to read"));
        }
        EventValidator validator = new EventValidator();
        Map<String, Integer> invalid = new TreeMap<>();
        int valid = 0;
        int read = 0;
        int joinPartitions = Math.max(
                partitionCount(described, topics.predictions().name()),
                partitionCount(described, topics.groundTruth().name()));
        int elsewhere = 0;
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, KAFKA_TIMEOUT);
            Map<TopicPartition, Long> begins = consumer.beginningOffsets(partitions, KAFKA_TIMEOUT);
            long wanted = 0;
            for (TopicPartition tp : partitions) {
                long from = Math.max(begins.get(tp), ends.get(tp) - SAMPLE_PER_PARTITION);
                consumer.seek(tp, from);
                wanted += ends.get(tp) - from;
            }
            long deadline = System.nanoTime() + KAFKA_TIMEOUT.toNanos();
            while (read < wanted && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    read++;
                    Validation<?> v = r.topic().equals(topics.predictions().name())
                            ? validator.prediction(r.value(), Instant.now())
                            : validator.groundTruth(r.value(), Instant.now());
                    if (v instanceof Validation.Rejected<?> rejected) {
                        invalid.merge(r.topic() + ": " + rejected.reason().code(), 1, Integer::sum);
                    } else {
                        valid++;
                        String id = ((Validation.Accepted<?>) v).value() instanceof Prediction pr
                                ? pr.predictionId()
                                : ((GroundTruth) ((Validation.Accepted<?>) v).value()).predictionId();
                        if (JoinPartitions.partitionOf(id, joinPartitions) != r.partition()) {
                            elsewhere++;
                        }
                    }
                }
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            return List.of(Check.warn(
                    name,
                    "could not read the inputs: " + e.getClass().getSimpleName(),
                    "check READ on the input topics"));
        }
        if (read == 0) {
            return List.of(Check.pass(name, "the input topics are empty: nothing to check yet"));
        }
        Check validity = invalid.isEmpty()
                ? Check.pass(name, valid + " of the latest " + read + " records valid against the schemas")
                : Check.warn(
                        name,
                        (read - valid) + " of the latest " + read + " records invalid " + invalid
                                + " (they will be dead-lettered with these reasons)",
                        "fix the producer; `vigil validate` names the field of a record saved to a file");
        return List.of(validity, joinKeys(valid, elsewhere, joinPartitions));
    }

    /** Whether the producers put records where the outcome join needs them (else they take its repartition topic). */
    private Check joinKeys(int valid, int elsewhere, int joinPartitions) {
        String name = "join keys";
        if (!config.getBoolean(VigilConfig.OUTCOMES_JOIN_CO_PARTITIONED)) {
            return Check.pass(name, "not used: outcomes.join.co-partitioned=false repartitions every record");
        }
        if (valid == 0) {
            return Check.pass(name, "no valid recent record to look at");
        }
        if (elsewhere == 0) {
            return Check.pass(
                    name,
                    "all " + valid + " valid recent records are in the partition of their prediction_id" + " (of "
                            + joinPartitions + "): joined in place");
        }
        return Check.warn(
                name,
                elsewhere + " of the latest " + valid + " valid records are not in the partition of their"
                        + " prediction_id (of " + joinPartitions + "): they go through the outcome join's repartition"
                        + " topic, one more write and read each (nothing is lost)",
                "key both input topics by prediction_id with Kafka's default partitioner (Java clients do;"
                        + " librdkafka and kcat need partitioner=murmur2_random), with equal partition counts");
    }

    Check stateDir() {
        String name = "state directory";
        Path dir = Path.of(config.getString(VigilConfig.STATE_DIR));
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".vigil-doctor", ".tmp");
            Files.delete(probe);
            long free = Files.getFileStore(dir).getUsableSpace();
            if (free < MIN_FREE_BYTES) {
                return Check.warn(
                        name,
                        dir + " is writable but has only " + (free >> 20) + " MiB free",
                        "give it at least 1 GiB (RocksDB stores grow with the slices and the label wait)");
            }
            return Check.pass(name, dir + " writable, " + (free >> 30) + " GiB free");
        } catch (IOException | SecurityException e) {
            return Check.fail(
                    name,
                    dir + " is not writable (" + e.getClass().getSimpleName() + ")",
                    "create it and make it writable by the user Vigil runs as, or set state.dir");
        }
    }

    /** A TCP connection to each webhook's host and port (no request is sent: it would page someone). */
    List<Check> webhooks() {
        List<Check> out = new ArrayList<>();
        Collection<WebhookEndpoint> endpoints = config.getBoolean(VigilConfig.ALERTS_ENABLED)
                ? AlertSettings.from(config).webhooks()
                : List.of();
        for (WebhookEndpoint w : endpoints) {
            String name = "webhook " + w.name();
            int port = w.url().getPort() != -1
                    ? w.url().getPort()
                    : "https".equals(w.url().getScheme()) ? 443 : 80;
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(w.url().getHost(), port), 5_000);
                out.add(Check.pass(name, w.url().getHost() + ":" + port + " accepts connections"));
            } catch (IOException e) {
                out.add(Check.fail(
                        name,
                        w.url().getHost() + ":" + port + " cannot be reached ("
                                + e.getClass().getSimpleName() + ")",
                        "check alerts.webhook." + w.name() + ".url and the network path (proxy, firewall)"));
            }
        }
        if (out.isEmpty()) {
            out.add(Check.skip("webhooks", "none configured (alerts.webhooks)"));
        }
        return out;
    }

    Check httpPort() {
        String name = "HTTP port";
        String bind = config.getString(VigilConfig.HTTP_BIND);
        int port = config.getInt(VigilConfig.HTTP_PORT);
        if (port == 0) {
            return Check.pass(name, "0: a free port is picked at start");
        }
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(bind, port));
            return Check.pass(name, bind + ":" + port + " is free");
        } catch (IOException e) {
            return Check.fail(
                    name,
                    bind + ":" + port + " cannot be bound (" + e.getClass().getSimpleName() + ")",
                    "stop what uses it, or set http.port");
        }
    }
}
