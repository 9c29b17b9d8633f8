package io.vigil.stages;

import io.vigil.aggregates.OutcomeChange;
import io.vigil.deadletters.DeadLetters;
import io.vigil.events.GroundTruth;
import io.vigil.events.Reason;
import io.vigil.events.SlicedPrediction;
import io.vigil.serde.Json;
import io.vigil.serde.KafkaHeaders;
import io.vigil.stages.shared.EventDay;
import io.vigil.stages.shared.SubjectKeys;
import io.vigil.state.CountsStore;
import io.vigil.topics.JoinPartitions;
import io.vigil.topics.Topics;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.crypto.Mac;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The exact outcome join: exactly one outcome per prediction, whatever the order, duplication or
 * revision of its labels.
 *
 * <p>Predictions and labels are stamped with their event time ({@code occurred_at},
 * {@code observed_at}) and meet in the task of partition k = murmur2(prediction_id) mod N
 * ({@link JoinPartitions}; N the larger input topic's partition count). A record already in partition k
 * of its input topic (its producer keyed it by {@code prediction_id} with Kafka's default partitioner) is
 * joined in the task that read it; any other record (another key, no key, another client's partitioner,
 * input topics of unequal partition counts) goes through the repartition topic
 * ({@value #REPARTITION}) to partition k first, and is counted ({@value #PREDICTIONS_REPARTITIONED},
 * {@value #LABELS_REPARTITIONED}). Nothing depends on the path but the cost: one write and one read of the
 * record more. With {@code outcomes.join.co-partitioned=false} (or before startup has read N) every
 * record takes the repartition topic. The task of partition k keeps, in RocksDB:
 * <ul>
 *   <li>{@value #PREDICTIONS_STORE}: every prediction younger than {@code maxDelayDays} (cohort day
 *       plus max delay, in stream time) with its slices, score, threshold and current label and
 *       revision; once that window has closed it stays {@code labelWait} more of wall clock, since its
 *       label may still be on its way (a replay of months takes minutes). Compact records: the slices and
 *       threshold are stored once per task as a numbered group tuple ({@link PendingPredictionStore});</li>
 *   <li>{@value #ORPHANS_STORE}: labels whose prediction has not arrived yet, held for
 *       {@code labelWait} of wall clock (never stream time, which other scanners' records push forward),
 *       then dead-lettered with reason {@value Reason#UNMATCHED_LABEL};</li>
 *   <li>{@value #EXPIRED_STORE}: ids of predictions that expired within the last
 *       {@code orphanRetentionDays}, so that a label arriving after the max delay is dead-lettered at
 *       once ({@value Reason#LABEL_AFTER_MAX_DELAY}) instead of waiting as an orphan;</li>
 *   <li>{@value #EXPIRY_STORE}: the join's clock; one closed-window step per event-time day
 *       ({@code s<wall ms>}: the last cohort day whose window had closed when the clock entered that day), after
 *       which, a label wait later, a sweep over the predictions store removes those predictions (paged, a bounded
 *       number of records per punctuation); and {@code w<deadline ms>|kind|id} entries for the wall-clock waits
 *       of early labels and of predictions that came after their window had closed, scanned by a wall-clock
 *       punctuator. Nothing per prediction otherwise: a prediction costs one changelog record, its own (day
 *       entries {@code day|kind|id} of earlier versions are still honoured);</li>
 *   <li>{@value #COUNTS_STORE}: counts of every outcome of the join (keys below).</li>
 * </ul>
 *
 * <p>Which labels count does not depend on arrival order: a label joins iff it is observed no later than
 * {@code maxDelayDays} after its prediction's UTC day (else {@value Reason#LABEL_AFTER_MAX_DELAY}), and
 * within {@code labelWait} of wall clock either side may come first.
 *
 * <p>Semantics per prediction: the first prediction registers it ({@link OutcomeChange} with sign
 * 0); a later copy of the same id is ignored and counted. The first label adds its outcome (sign
 * +1, with the label delay). A label with the same revision is a duplicate (nothing); a higher
 * revision retracts the old outcome (sign -1) and adds the new one (+1), even when the label value
 * is unchanged (so the result is the same whichever copy arrives first); a lower revision is ignored.
 * All of this is counted. Expiry runs in event time, whenever the join's clock (the largest event
 * time it has seen, i.e. the stream time of its sub-topology) enters a new UTC day: a label 60 days
 * late joins as long as it is within the max delay, however fast the records are replayed.
 *
 * <p>The label delay is measured from the first label that joins (the highest revision held, if
 * labels arrived first) and is never retracted, so unlike every other metric it can depend on the
 * order in which revisions arrive. Two labels with the same revision are duplicates: the first wins.
 *
 * <p>Prediction ids are never logged.
 */
public final class OutcomeJoin {
    public static final String PREDICTIONS_STORE = "outcome-join-predictions";
    public static final String ORPHANS_STORE = "outcome-join-orphan-labels";
    public static final String EXPIRED_STORE = "outcome-join-expired-predictions";
    public static final String EXPIRY_STORE = "outcome-join-expiry-index";
    public static final String COUNTS_STORE = "outcome-join-counts";

    /** Counts store keys. */
    public static final String PREDICTIONS_REGISTERED = "predictions_registered";

    public static final String PREDICTIONS_DUPLICATE = "predictions_duplicate";
    public static final String PREDICTIONS_EXPIRED_UNLABELLED = "predictions_expired_unlabelled";
    public static final String PREDICTIONS_EXPIRED_LABELLED = "predictions_expired_labelled";
    public static final String LABELS_JOINED = "labels_joined";
    public static final String LABELS_HELD = "labels_held_before_prediction";
    public static final String LABELS_DUPLICATE = "labels_duplicate";
    public static final String LABELS_REVISED = "labels_revised";
    public static final String LABELS_STALE_REVISION = "labels_stale_revision";
    public static final String LABELS_UNMATCHED_EXPIRED = "labels_unmatched_expired";
    public static final String LABELS_AFTER_MAX_DELAY = "labels_after_max_delay";
    /** Records that reached the join through its repartition topic (not already in their partition). */
    public static final String PREDICTIONS_REPARTITIONED = "predictions_repartitioned";

    public static final String LABELS_REPARTITIONED = "labels_repartitioned";

    /** Name of the join's repartition topic (prefixed by the application id, suffixed {@code -repartition}). */
    public static final String REPARTITION = "outcome-join-by-prediction";
    /** Every key the counts store can hold (a bounded set, safe as a metric label). */
    public static final List<String> COUNT_KEYS = List.of(
            PREDICTIONS_REGISTERED,
            PREDICTIONS_DUPLICATE,
            PREDICTIONS_EXPIRED_UNLABELLED,
            PREDICTIONS_EXPIRED_LABELLED,
            LABELS_JOINED,
            LABELS_HELD,
            LABELS_DUPLICATE,
            LABELS_REVISED,
            LABELS_STALE_REVISION,
            LABELS_UNMATCHED_EXPIRED,
            LABELS_AFTER_MAX_DELAY,
            PREDICTIONS_REPARTITIONED,
            LABELS_REPARTITIONED);

    /** Key of the join's event-time clock in the expiry index; sorts after every day entry. */
    private static final String CLOCK_KEY = "~clock";

    private final Topics topics;
    private final int maxDelayDays;
    private final int orphanRetentionDays;
    private final JoinPartitions partitions;
    private final long labelWaitMs;
    private final String subjectKeySecret;
    /** Records the expiry sweep reads in one punctuation at most, and between deletes. */
    private final int sweepBudget;

    private final int sweepPage;

    /**
     * @param maxDelayDays        days after its cohort day a prediction waits for its label
     * @param orphanRetentionDays days (stream time) a label waits for its prediction
     * @param partitions          the join's partition count, set at startup: a record already in the partition its
     *                            prediction id belongs to is joined in place; unknown, every record is repartitioned
     * @param labelWait           wall-clock time a label waits for its prediction, and a prediction whose event-time
     *                            window has closed still waits for its label, so that no arrival order within it
     *                            changes the result (a replay of months of history takes minutes of wall clock)
     * @param subjectKeySecret    the HMAC key of subject keys ({@code stability.subject-key-secret}), or null: with
     *                            it every change carries its prediction's subject id ({@link SubjectKeys#subjectId}),
     *                            which pairs a patient's repeat studies; without it every change has
     *                            {@link OutcomeChange#NO_SUBJECT}
     * @param sweepBatch          most records the expiry sweep reads in one punctuation
     *                            ({@code outcomes.expiry-sweep-batch})
     */
    public OutcomeJoin(
            Topics topics,
            int maxDelayDays,
            int orphanRetentionDays,
            JoinPartitions partitions,
            Duration labelWait,
            String subjectKeySecret,
            int sweepBatch) {
        if (sweepBatch < 1) {
            throw new IllegalArgumentException("sweepBatch must be >= 1, got " + sweepBatch);
        }
        this.sweepBudget = sweepBatch;
        this.sweepPage = Math.min(SWEEP_PAGE, sweepBatch);
        this.subjectKeySecret = subjectKeySecret;
        if (labelWait.isNegative()) {
            throw new IllegalArgumentException("labelWait must not be negative: " + labelWait);
        }
        this.labelWaitMs = labelWait.toMillis();
        if (maxDelayDays < 1 || orphanRetentionDays < 1) {
            throw new IllegalArgumentException("maxDelayDays and orphanRetentionDays must be >= 1, got " + maxDelayDays
                    + " and " + orphanRetentionDays);
        }
        this.topics = Objects.requireNonNull(topics, "topics");
        this.maxDelayDays = maxDelayDays;
        this.orphanRetentionDays = orphanRetentionDays;
        this.partitions = Objects.requireNonNull(partitions, "partitions");
    }

    /** Adds the join; returns its outcome changes keyed by prediction id (unlabelled dead letters go to the topic). */
    public KStream<String, OutcomeChange> addTo(
            StreamsBuilder builder,
            KStream<String, SlicedPrediction> predictions,
            KStream<String, GroundTruth> labels) {
        // No record cache on any join store. A prediction is written when it arrives and again when its
        // label arrives, usually days later, so a cache rarely merges two writes; and with one entry per
        // prediction the shared cache is always full, so every put evicted and flushed another entry
        // through a TreeMap of byte keys (12% of a stream thread's time in a 1M-prediction profile).
        builder.addStateStore(Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(PREDICTIONS_STORE), Serdes.Bytes(), Serdes.ByteArray())
                .withCachingDisabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(ORPHANS_STORE), Serdes.String(), new InputSerde())
                .withCachingDisabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(EXPIRED_STORE), Serdes.String(), Serdes.Long())
                .withCachingDisabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(EXPIRY_STORE), Serdes.String(), Serdes.ByteArray())
                .withCachingDisabled());
        builder.addStateStore(CountsStore.builder(COUNTS_STORE));

        KStream<String, Routed> fromPredictions = predictions.processValues(
                () -> {
                    // One HMAC per processor instance (a Mac is not thread-safe); none without a secret.
                    Mac mac = subjectKeySecret == null ? null : SubjectKeys.hmac(subjectKeySecret);
                    return new Stamp<SlicedPrediction>(sp -> pending(sp, mac), partitions);
                },
                Named.as("outcome-join-prediction-input"));
        KStream<String, Routed> fromLabels = labels.processValues(
                () -> new Stamp<GroundTruth>(gt -> new Input(null, gt, 0L, null), partitions),
                Named.as("outcome-join-label-input"));
        // A record already in the partition of its prediction id (producers keying both topics by it with
        // Kafka's default partitioner) is joined where it is; any other goes through the repartition topic to
        // that partition, and is counted there. Both paths end in the same task and the join is
        // order-independent, so which path a record takes changes nothing but its cost.
        Map<String, KStream<String, Routed>> routes = fromPredictions
                .merge(fromLabels, Named.as("outcome-join-merge"))
                .split(Named.as("outcome-join-"))
                .branch((id, r) -> r.inPlace(), Branched.as("in-place"))
                .defaultBranch(Branched.as("elsewhere"));
        KStream<String, Input> inPlace =
                routes.get("outcome-join-in-place").mapValues(Routed::input, Named.as("outcome-join-in-place-input"));
        KStream<String, Input> moved = routes.get("outcome-join-elsewhere")
                .mapValues(Routed::input, Named.as("outcome-join-elsewhere-input"))
                .repartition(
                        Repartitioned.with(Serdes.String(), new InputSerde()).withName(REPARTITION));
        KStream<String, Input> merged = inPlace.merge(moved, Named.as("outcome-join-paths"));
        KStream<String, Output> joined = merged.process(
                Join::new,
                Named.as("outcome-join"),
                PREDICTIONS_STORE,
                ORPHANS_STORE,
                EXPIRED_STORE,
                EXPIRY_STORE,
                COUNTS_STORE);
        joined.filter((k, v) -> v.deadLetter() != null, Named.as("outcome-join-rejected"))
                .map(
                        (k, v) -> KeyValue.pair(
                                v.deadLetterKey() != null ? v.deadLetterKey() : k.getBytes(StandardCharsets.UTF_8),
                                v.deadLetter()),
                        Named.as("outcome-join-dead-letter-bytes"))
                .to(topics.deadLetters().name(), topics.deadLetters().produced("outcome-join-dead-letters"));
        return joined.filter((k, v) -> v.change() != null, Named.as("outcome-join-changes"))
                .mapValues(Output::change, Named.as("outcome-join-typed-changes"));
    }

    private static Input pending(SlicedPrediction sp, Mac mac) {
        var p = sp.prediction();
        long at = p.occurredAt().toEpochMilli();
        long subject = mac == null || p.subjectKey() == null
                ? OutcomeChange.NO_SUBJECT
                : SubjectKeys.subjectId(mac, p.subjectKey());
        return new Input(
                new Pending(
                        sp.groups(),
                        p.score(),
                        p.threshold(),
                        EventDay.ofEpochMilli(at),
                        at,
                        -1,
                        -1,
                        0L,
                        subject,
                        false),
                null,
                0L,
                null);
    }

    /**
     * A prediction waiting in the join. {@code label}/{@code revision} are -1 until labelled;
     * {@code labelObservedAtMs} is the first label's observed_at. {@code ownWait}: its window had closed before it
     * came, so an expiry-index entry of its own removes it a label wait after it came, not the sweep of its cohort
     * day.
     */
    record Pending(
            List<String> groups,
            double score,
            double threshold,
            long cohortDay,
            long occurredAtMs,
            int label,
            int revision,
            long labelObservedAtMs,
            long subject,
            boolean ownWait) {
        Pending withLabel(GroundTruth gt, long firstObservedAtMs) {
            return new Pending(
                    groups,
                    score,
                    threshold,
                    cohortDay,
                    occurredAtMs,
                    gt.label(),
                    gt.revision(),
                    firstObservedAtMs,
                    subject,
                    ownWait);
        }

        Pending withOwnWait() {
            return new Pending(
                    groups,
                    score,
                    threshold,
                    cohortDay,
                    occurredAtMs,
                    label,
                    revision,
                    labelObservedAtMs,
                    subject,
                    true);
        }

        /**
         * A change of this prediction; an outcome added or retracted carries the age of its first label (a
         * revision keeps it), so a retraction leaves the cohort's labels at the outcome CUSUM's label age as its
         * addition entered them.
         */
        OutcomeChange change(int label, int sign, long delaySeconds) {
            long age = sign == 0 ? -1 : Math.max(0L, (labelObservedAtMs - occurredAtMs) / 1000L);
            return new OutcomeChange(groups, score, threshold, cohortDay, label, sign, delaySeconds, subject, age);
        }
    }

    /**
     * One join input: a prediction or a label (held orphans keep their expiry day). A label carries its
     * {@link Origin}, so that a label the join dead-letters is the record as it was sent.
     */
    record Input(Pending prediction, GroundTruth label, long expiryDay, Origin origin) {}

    /**
     * Where a label came from, as {@link Ingest} recorded it in headers ({@link DeadLetters#ORIGIN_VALUE},
     * {@link DeadLetters#ORIGIN_KEY}, {@link DeadLetters#SOURCE_PARTITION}, {@link DeadLetters#SOURCE_OFFSET}):
     * the original key and value bytes, input partition and offset, and the sender's own headers.
     */
    record Origin(byte[] key, byte[] value, int partition, long offset, List<Header> headers) {
        /** The origin in {@code headers}, or null when ingest recorded none (records written by older versions). */
        static Origin from(Headers headers) {
            Header value = headers.lastHeader(DeadLetters.ORIGIN_VALUE);
            if (value == null) {
                return null;
            }
            Header key = headers.lastHeader(DeadLetters.ORIGIN_KEY);
            Header partition = headers.lastHeader(DeadLetters.SOURCE_PARTITION);
            Header offset = headers.lastHeader(DeadLetters.SOURCE_OFFSET);
            List<Header> own = new java.util.ArrayList<>();
            for (Header h : headers) {
                if (!h.key().startsWith("vigil.")) {
                    own.add(h);
                }
            }
            return new Origin(
                    key == null ? null : key.value(),
                    value.value(),
                    partition == null ? -1 : Integer.parseInt(new String(partition.value(), StandardCharsets.UTF_8)),
                    offset == null ? -1L : Long.parseLong(new String(offset.value(), StandardCharsets.UTF_8)),
                    List.copyOf(own));
        }
    }

    /**
     * One join output: an outcome change, or a dead letter: its value bytes and key bytes (null: the
     * prediction id), headers on the record.
     */
    record Output(OutcomeChange change, byte[] deadLetter, byte[] deadLetterKey) {
        Output(OutcomeChange change, byte[] deadLetter) {
            this(change, deadLetter, null);
        }
    }

    /** Stamps each record with its event time, so stream time (and expiry) is event time. */
    /** A join input and whether it is already in the partition of its prediction id. */
    record Routed(Input input, boolean inPlace) {}

    private static final class Stamp<V> implements FixedKeyProcessor<String, V, Routed> {
        private final java.util.function.Function<V, Input> toInput;
        private final JoinPartitions partitions;
        private FixedKeyProcessorContext<String, Routed> context;

        Stamp(java.util.function.Function<V, Input> toInput, JoinPartitions partitions) {
            this.toInput = toInput;
            this.partitions = partitions;
        }

        @Override
        public void init(FixedKeyProcessorContext<String, Routed> context) {
            this.context = context;
        }

        @Override
        public void process(FixedKeyRecord<String, V> record) {
            Input in = toInput.apply(record.value());
            // The task's partition is the input partition the record was read from, also for a prediction that
            // slice assignment held and forwarded from a punctuation, without record metadata.
            boolean inPlace = partitions.inPlace(record.key(), context.taskId().partition());
            if (in.label() != null) {
                // The origin travels in the value (through the repartition and the orphans store), not twice.
                in = new Input(null, in.label(), in.expiryDay(), Origin.from(record.headers()));
                long ts = in.label().observedAt().toEpochMilli();
                context.forward(record.withValue(new Routed(in, inPlace))
                        .withTimestamp(ts)
                        .withHeaders(KafkaHeaders.empty()));
                return;
            }
            context.forward(record.withValue(new Routed(in, inPlace))
                    .withTimestamp(in.prediction().occurredAtMs()));
        }
    }

    private final class Join implements Processor<String, Input, String, Output> {
        private ProcessorContext<String, Output> context;
        private PendingPredictionStore predictions;
        private KeyValueStore<String, Input> orphans;
        private KeyValueStore<String, Long> expired;
        private KeyValueStore<String, byte[]> index;
        private CountsStore counts;
        private long clockMs;
        /**
         * Closed-window steps: the wall-clock instant the join's clock entered a new day -> the last cohort day whose
         * window had closed then. Both ascend; one entry per event-time day, in the expiry index, not one per
         * prediction.
         */
        private final java.util.TreeMap<Long, Long> closedSteps = new java.util.TreeMap<>();
        /** The step a sweep pass is at (null: none under way), the last cohort day it removes, and its cursor. */
        private Long sweepStep;

        private long sweepThrough;
        private String sweepAfter;
        private boolean sweepingExpired;

        @Override
        public void init(ProcessorContext<String, Output> context) {
            this.context = context;
            predictions = new PendingPredictionStore(context.getStateStore(PREDICTIONS_STORE));
            orphans = context.getStateStore(ORPHANS_STORE);
            expired = context.getStateStore(EXPIRED_STORE);
            index = context.getStateStore(EXPIRY_STORE);
            counts = context.getStateStore(COUNTS_STORE);
            byte[] clock = index.get(CLOCK_KEY);
            clockMs = clock == null
                    ? Long.MIN_VALUE
                    : java.nio.ByteBuffer.wrap(clock).getLong();
            closedSteps.clear();
            sweepStep = null;
            try (KeyValueIterator<String, byte[]> it = index.range(STEP_PREFIX, STEP_PREFIX + "~")) {
                it.forEachRemaining(kv -> closedSteps.put(
                        Long.parseLong(kv.key.substring(STEP_PREFIX.length())),
                        java.nio.ByteBuffer.wrap(kv.value).getLong()));
            }
            long every = Math.max(1_000L, Math.min(60_000L, labelWaitMs / 20));
            context.schedule(
                    Duration.ofMillis(every),
                    org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME,
                    this::releaseWaited);
        }

        /**
         * Advances the join's event-time clock (the largest event time it has seen: Kafka's stream
         * time of this sub-topology, kept here so other sub-topologies sharing a task cannot move
         * it) and runs expiry once per new day.
         */
        private void advanceClock(long ts) {
            if (ts <= clockMs) {
                return;
            }
            long previousDay = clockMs == Long.MIN_VALUE ? Long.MIN_VALUE : EventDay.ofEpochMilli(clockMs);
            clockMs = ts;
            if (EventDay.ofEpochMilli(ts) > previousDay) {
                // Every use of the clock is by UTC day, so it is stored when the day changes only (not
                // once per record): after a restart it restarts from the first instant seen that day.
                index.put(
                        CLOCK_KEY,
                        java.nio.ByteBuffer.allocate(Long.BYTES).putLong(ts).array());
                // Every cohort day before today - maxDelayDays has a closed window from now on: one step for all of
                // them; its predictions leave a label wait of wall clock later (releaseWaited).
                long now = context.currentSystemTimeMs();
                long closedThrough = EventDay.ofEpochMilli(ts) - maxDelayDays - 1;
                closedSteps.merge(now, closedThrough, Math::max);
                index.put(
                        stepKey(now),
                        java.nio.ByteBuffer.allocate(Long.BYTES)
                                .putLong(closedSteps.get(now))
                                .array());
                expire(ts);
            }
        }

        @Override
        public void process(Record<String, Input> record) {
            if (record.key() == null) {
                return; // cannot happen: ingest keys every record by its prediction id
            }
            advanceClock(record.timestamp());
            // From a punctuation upstream (slice assignment releasing held predictions) the metadata has no topic.
            if (context.recordMetadata()
                    .map(m -> m.topic() != null && m.topic().endsWith(REPARTITION + "-repartition"))
                    .orElse(false)) {
                increment(record.value().prediction() != null ? PREDICTIONS_REPARTITIONED : LABELS_REPARTITIONED);
            }
            if (record.value().prediction() != null) {
                onPrediction(record.key(), record.value().prediction(), record.timestamp());
            } else {
                onLabel(record.key(), record.value(), record.timestamp());
            }
        }

        private void onPrediction(String id, Pending p, long ts) {
            if (predictions.get(id) != null || expired.get(id) != null) {
                increment(PREDICTIONS_DUPLICATE);
                return;
            }
            increment(PREDICTIONS_REGISTERED);
            emit(id, p.change(-1, 0, -1), ts);
            Input orphan = orphans.get(id);
            if (orphan != null) {
                orphans.put(id, null); // not delete(): it returns the old value, decoding the label a second time
                if (isWallDeadline(orphan.expiryDay())) {
                    // Its wait is over: the entry that would end it goes now, not at its deadline (a label wait later).
                    index.delete(wallKey(orphan.expiryDay(), 'L', id));
                }
                GroundTruth gt = orphan.label();
                if (tooLate(p, gt)) {
                    labelAfterMaxDelay(id, orphan, ts);
                } else {
                    p = p.withLabel(gt, gt.observedAt().toEpochMilli());
                    emit(id, p.change(gt.label(), +1, delaySeconds(p)), ts);
                    increment(LABELS_JOINED);
                }
            }
            long windowEnd = p.cohortDay() + maxDelayDays;
            boolean closed = windowEnd < EventDay.ofEpochMilli(clockMs);
            predictions.put(id, closed ? p.withOwnWait() : p);
            if (closed) {
                // Its window closed before it came (the closed-window steps are behind it): it waits the label wait
                // from now, on an entry of its own. Every other prediction needs none (releaseWaited).
                index.put(
                        wallKey(context.currentSystemTimeMs() + labelWaitMs, 'P', id),
                        java.nio.ByteBuffer.allocate(Long.BYTES)
                                .putLong(windowEnd)
                                .array());
            }
        }

        private void onLabel(String id, Input in, long ts) {
            GroundTruth gt = in.label();
            Pending p = predictions.get(id);
            if (p != null) {
                if (tooLate(p, gt)) {
                    // Whatever the order: a label counts iff observed within max delay of its prediction's day.
                    labelAfterMaxDelay(id, in, ts);
                    return;
                }
                if (p.label() < 0) {
                    p = p.withLabel(gt, gt.observedAt().toEpochMilli());
                    emit(id, p.change(gt.label(), +1, delaySeconds(p)), ts);
                    increment(LABELS_JOINED);
                } else if (gt.revision() == p.revision()) {
                    increment(LABELS_DUPLICATE);
                    return;
                } else if (gt.revision() < p.revision()) {
                    increment(LABELS_STALE_REVISION);
                    return;
                } else {
                    emit(id, p.change(p.label(), -1, -1), ts);
                    p = p.withLabel(gt, p.labelObservedAtMs());
                    emit(id, p.change(gt.label(), +1, -1), ts);
                    increment(LABELS_REVISED);
                }
                predictions.put(id, p);
                return;
            }
            if (expired.get(id) != null) {
                labelAfterMaxDelay(id, in, ts);
                return;
            }
            Input held = orphans.get(id);
            if (held != null && gt.revision() == held.label().revision()) {
                increment(LABELS_DUPLICATE);
                return;
            }
            if (held != null && gt.revision() < held.label().revision()) {
                increment(LABELS_STALE_REVISION);
                return;
            }
            // An early label waits labelWait of wall clock (never stream time, which other scanners' records
            // push forward); a newer revision keeps the first one's deadline.
            long deadline = held != null && isWallDeadline(held.expiryDay())
                    ? held.expiryDay()
                    : context.currentSystemTimeMs() + labelWaitMs;
            orphans.put(id, new Input(null, gt, deadline, in.origin()));
            if (held == null || !isWallDeadline(held.expiryDay())) {
                index.put(wallKey(deadline, 'L', id), new byte[0]);
            }
            increment(held == null ? LABELS_HELD : LABELS_REVISED);
        }

        private boolean tooLate(Pending p, GroundTruth gt) {
            return EventDay.ofEpochMilli(gt.observedAt().toEpochMilli()) > p.cohortDay() + maxDelayDays;
        }

        private void labelAfterMaxDelay(String id, Input label, long ts) {
            increment(LABELS_AFTER_MAX_DELAY);
            deadLetter(
                    id,
                    label,
                    new Reason(
                            Reason.LABEL_AFTER_MAX_DELAY,
                            "/prediction_id",
                            "observed more than the maximum label delay of " + maxDelayDays
                                    + " days after its prediction"),
                    ts);
        }

        /**
         * Wall-clock punctuation: early labels whose wait is over are dead-lettered as unmatched; predictions
         * whose event-time window closed and whose label wait is over leave the join.
         */
        private void releaseWaited(long nowMs) {
            sweepClosedWindows(nowMs);
            List<KeyValue<String, byte[]>> due = new ArrayList<>();
            try (KeyValueIterator<String, byte[]> it = index.range(WALL_PREFIX, wallKey(nowMs, '~', ""))) {
                it.forEachRemaining(due::add);
            }
            long eventClock = clockMs == Long.MIN_VALUE ? nowMs : clockMs;
            for (KeyValue<String, byte[]> kv : due) {
                index.delete(kv.key);
                long deadline = Long.parseLong(kv.key.substring(1, 14));
                char kind = kv.key.charAt(15);
                String id = kv.key.substring(17);
                if (kind == 'L') {
                    Input held = orphans.get(id);
                    if (held != null && held.expiryDay() == deadline) {
                        orphans.delete(id);
                        increment(LABELS_UNMATCHED_EXPIRED);
                        deadLetter(
                                id,
                                held,
                                new Reason(
                                        Reason.UNMATCHED_LABEL,
                                        "/prediction_id",
                                        "no prediction with this id arrived within the label wait of "
                                                + Duration.ofMillis(labelWaitMs)),
                                eventClock);
                    }
                } else if (kind == 'P') {
                    long day = java.nio.ByteBuffer.wrap(kv.value).getLong();
                    Pending p = predictions.get(id);
                    if (p != null && p.cohortDay() + maxDelayDays == day) {
                        expirePrediction(id, p, EventDay.ofEpochMilli(eventClock));
                    }
                }
            }
        }

        private void expirePrediction(String id, Pending p, long today) {
            predictions.delete(id);
            increment(p.label() < 0 ? PREDICTIONS_EXPIRED_UNLABELLED : PREDICTIONS_EXPIRED_LABELLED);
            expired.put(id, today + orphanRetentionDays);
        }

        /**
         * Predictions whose window closed at a step a label wait ago or longer leave the join, in a pass over the
         * store (in steady operation one a day), then the ids of expired predictions whose retention is over, in a
         * pass over theirs. A punctuation reads at most {@code outcomes.expiry-sweep-batch} records and the next one goes on
         * where it stopped: a pass over millions of predictions after a replay never holds a stream thread, or an
         * open transaction, for long. A pass cut short by a restart starts again (its steps are still stored).
         */
        private void sweepClosedWindows(long nowMs) {
            if (sweepStep == null) {
                Map.Entry<Long, Long> due = closedSteps.floorEntry(nowMs - labelWaitMs);
                if (due == null) {
                    return;
                }
                sweepStep = due.getKey();
                sweepThrough = due.getValue();
                sweepAfter = null;
                sweepingExpired = false;
            }
            long today = EventDay.ofEpochMilli(clockMs == Long.MIN_VALUE ? nowMs : clockMs);
            int read = 0;
            while (read < sweepBudget) {
                int n;
                if (!sweepingExpired) {
                    List<KeyValue<String, Pending>> page = predictions.page(sweepAfter, sweepPage);
                    for (KeyValue<String, Pending> kv : page) {
                        if (kv.value.cohortDay() <= sweepThrough && !kv.value.ownWait()) {
                            expirePrediction(kv.key, kv.value, today);
                        }
                    }
                    n = page.size();
                    sweepAfter = n == 0 ? sweepAfter : page.get(n - 1).key;
                } else {
                    List<KeyValue<String, Long>> page = expiredPage(sweepAfter);
                    for (KeyValue<String, Long> kv : page) {
                        if (kv.value < today) {
                            expired.delete(kv.key);
                        }
                    }
                    n = page.size();
                    sweepAfter = n == 0 ? sweepAfter : page.get(n - 1).key;
                }
                read += n;
                if (n < sweepPage) {
                    if (sweepingExpired) {
                        java.util.NavigableMap<Long, Long> done = closedSteps.headMap(sweepStep, true);
                        for (Long at : done.keySet()) {
                            index.delete(stepKey(at));
                        }
                        done.clear();
                        sweepStep = null;
                        return;
                    }
                    sweepingExpired = true;
                    sweepAfter = null;
                }
            }
        }

        /** Up to a page of expired ids after {@code afterId} (null: from the first). */
        private List<KeyValue<String, Long>> expiredPage(String afterId) {
            List<KeyValue<String, Long>> page = new ArrayList<>();
            try (KeyValueIterator<String, Long> it = expired.range(afterId, null)) {
                while (it.hasNext() && page.size() < sweepPage) {
                    KeyValue<String, Long> kv = it.next();
                    if (!kv.key.equals(afterId)) {
                        page.add(kv);
                    }
                }
            }
            return page;
        }

        /**
         * The day entries of the expiry index that earlier versions wrote ({@code %010d|kind|id}): this version writes
         * none, but a state directory from before the upgrade holds them until their day has passed.
         */
        private void expire(long streamTimeMs) {
            long today = EventDay.ofEpochMilli(streamTimeMs);
            List<String> due = new ArrayList<>();
            try (KeyValueIterator<String, byte[]> it = index.range("", String.format("%010d", today))) {
                it.forEachRemaining(kv -> due.add(kv.key));
            }
            for (String key : due) {
                index.delete(key);
                long day = Long.parseLong(key.substring(0, 10));
                char kind = key.charAt(11);
                String id = key.substring(13);
                switch (kind) {
                    case 'P' -> {
                        // A prediction an earlier version registered: its window closed at the step just taken, which
                        // removes it with every other prediction of its cohort day (sweepClosedWindows).
                    }
                    case 'L' -> {
                        // Labels held by a version that expired them in stream time (days, not a deadline).
                        Input held = orphans.get(id);
                        if (held != null && !isWallDeadline(held.expiryDay()) && held.expiryDay() == day) {
                            orphans.delete(id);
                            increment(LABELS_UNMATCHED_EXPIRED);
                            deadLetter(
                                    id,
                                    held,
                                    new Reason(
                                            Reason.UNMATCHED_LABEL,
                                            "/prediction_id",
                                            "no prediction with this id arrived within " + orphanRetentionDays
                                                    + " days"),
                                    streamTimeMs);
                        }
                    }
                    case 'X' -> {
                        Long until = expired.get(id);
                        if (until != null && until == day) {
                            expired.delete(id);
                        }
                    }
                    default -> throw new IllegalStateException("unknown expiry kind " + kind);
                }
            }
        }

        private long delaySeconds(Pending p) {
            return Math.max(0L, (p.labelObservedAtMs() - p.occurredAtMs()) / 1000L);
        }

        private void emit(String id, OutcomeChange change, long ts) {
            context.forward(new Record<>(id, new Output(change, null), ts));
        }

        /** Dead-letters a label as it was sent: original key, value and headers, input partition and offset. */
        private void deadLetter(String id, Input label, Reason reason, long ts) {
            Origin origin = label.origin();
            Headers headers = KafkaHeaders.empty();
            byte[] value;
            if (origin != null) {
                value = origin.value();
                origin.headers().forEach(headers::add);
            } else {
                try { // a label held by a version before origins were kept: its parsed form is all there is
                    value = Json.mapper().writeValueAsBytes(label.label());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            DeadLetters.annotate(
                    headers,
                    "outcome-join",
                    reason,
                    topics.groundTruth().name(),
                    origin == null ? -1 : origin.partition(),
                    origin == null ? -1L : origin.offset());
            context.forward(
                    new Record<>(id, new Output(null, value, origin == null ? null : origin.key()), ts, headers));
        }

        private void increment(String key) {
            counts.increment(key);
        }
    }

    /** Prefix of the wall-clock entries of the expiry index: sorts after every day entry, before the clock. */
    static final String WALL_PREFIX = "w";

    /** Prefix of the closed-window steps in the expiry index ({@code s<wall ms>} -> last closed cohort day). */
    static final String STEP_PREFIX = "s";

    /** Records a sweep reads between deletes. */
    private static final int SWEEP_PAGE = 10_000;

    /** Records a sweep reads in one punctuation at most: the default of {@code outcomes.expiry-sweep-batch}. */
    static final int SWEEP_BUDGET = 200_000;

    /** {@code s%013d}: a closed-window step taken at this wall-clock instant. */
    static String stepKey(long atMs) {
        return paddedMillis(new StringBuilder(STEP_PREFIX.length() + 13).append(STEP_PREFIX), atMs)
                .toString();
    }

    /** {@code w%013d|kind|id}: a wall-clock deadline in epoch milliseconds, so a range scan up to now finds them. */
    static String wallKey(long deadlineMs, char kind, String id) {
        // As String.format("%s%013d|%c|%s", ...) wrote it, without a Formatter per early label.
        return paddedMillis(new StringBuilder(WALL_PREFIX.length() + 17 + id.length()).append(WALL_PREFIX), deadlineMs)
                .append('|')
                .append(kind)
                .append('|')
                .append(id)
                .toString();
    }

    /** Appends epoch milliseconds (negative as 0) zero-padded to 13 digits, so keys sort in time order. */
    private static StringBuilder paddedMillis(StringBuilder b, long ms) {
        String digits = Long.toString(Math.max(0, ms));
        for (int i = digits.length(); i < 13; i++) {
            b.append('0');
        }
        return b.append(digits);
    }

    /**
     * Whether an orphan's expiry field holds a wall-clock deadline (epoch ms, this version) rather than a
     * stream-time day (earlier versions): days stay below 10^7 for thousands of years, milliseconds since
     * 1970 passed 10^11 in 1973.
     */
    static boolean isWallDeadline(long expiry) {
        return expiry > 100_000_000_000L;
    }

    /**
     * The outcome join's predictions awaiting their labels, as compact records: a prediction's slice groups and
     * threshold, the same for most predictions of a site and scanner, are stored once per task as a numbered
     * <em>group tuple</em>, and each prediction's record carries the tuple's number and its own numbers only
     * (17 bytes for an unlabelled prediction instead of 339 with seven group strings).
     *
     * <p>Layout, in the join's one predictions store, so one changelog partition holds both, in the order they were
     * written: a prediction's key is its id's UTF-8 bytes (as the earlier {@code String} key wrote them), a tuple's
     * key is the byte {@code 0xFF} (never in UTF-8) and its number (4 bytes, big-endian). A tuple is written before
     * the first prediction that refers to it, in the same transaction, and never deleted; after a restart or a
     * restore the task reads every tuple back before it processes a record. Records of the earlier formats (1 to
     * 3, groups as strings) are read as before and rewritten compactly when next written (a label joining).
     *
     * <p>The number of tuples per task is bounded: after {@value #MAX_TUPLES} (a producer whose threshold changes with
     * every prediction, years of model versions), a prediction of a new tuple carries its groups and threshold in its
     * own record. Nothing is lost either way.
     *
     * <p>Record (format {@value #FORMAT}): the tuple number + 1 (varint; 0: the threshold and the groups follow), the
     * score (8 bytes), the event time in epoch ms (zigzag varint), a flags byte (labelled; subject id present; cohort
     * day not the event time's UTC day; {@link Pending#ownWait()}), then, when labelled, the label, the revision and
     * the first label's observed time relative to the event time, then the subject id and the cohort day when
     * flagged.
     */
    static final class PendingPredictionStore {
        /** Group tuples one task numbers; predictions of further tuples carry their groups in their own record. */
        static final int MAX_TUPLES = 65_536;

        static final int FORMAT = 4;

        private static final byte TUPLE_KEY = (byte) 0xFF;
        private static final int TUPLE_FORMAT = 1;
        private static final int LABELLED = 1;
        private static final int HAS_SUBJECT = 2;
        private static final int OTHER_COHORT_DAY = 4;
        private static final int OWN_WAIT = 8;

        /** A prediction's slice groups and threshold: what most predictions of a site and scanner share. */
        record GroupTuple(List<String> groups, double threshold) {}

        private final KeyValueStore<Bytes, byte[]> store;
        private final PendingSerde earlierFormats = new PendingSerde();
        private final Map<GroupTuple, Integer> numbers = new HashMap<>();
        private final List<GroupTuple> tuples = new ArrayList<>();

        /** Reads every group tuple of the store: call in the processor's {@code init}, after the store's restore. */
        PendingPredictionStore(KeyValueStore<Bytes, byte[]> store) {
            this.store = store;
            // A range, not a prefix scan: the store cannot scan the prefix 0xFF (it has no successor of one byte).
            try (KeyValueIterator<Bytes, byte[]> it = store.range(Bytes.wrap(tupleKey(0)), Bytes.wrap(tupleKey(-1)))) {
                while (it.hasNext()) {
                    var kv = it.next();
                    int number = tupleNumber(kv.key.get());
                    GroupTuple tuple = readTuple(kv.value);
                    while (tuples.size() <= number) {
                        tuples.add(null);
                    }
                    tuples.set(number, tuple);
                    numbers.put(tuple, number);
                }
            }
        }

        /** The prediction with this id, or null. */
        Pending get(String id) {
            byte[] bytes = store.get(key(id));
            return bytes == null ? null : decode(bytes);
        }

        void put(String id, Pending p) {
            store.put(key(id), encode(number(new GroupTuple(p.groups(), p.threshold())), p));
        }

        void delete(String id) {
            store.delete(key(id));
        }

        /**
         * Up to {@code max} predictions in key order after the one with id {@code afterId} (null: from the first),
         * for a sweep that deletes between pages. Tuple keys (0xFF) sort after every id and end the scan.
         */
        List<KeyValue<String, Pending>> page(String afterId, int max) {
            List<KeyValue<String, Pending>> page = new ArrayList<>(Math.min(max, 1024));
            try (KeyValueIterator<Bytes, byte[]> it = store.range(afterId == null ? null : key(afterId), null)) {
                while (it.hasNext() && page.size() < max) {
                    KeyValue<Bytes, byte[]> kv = it.next();
                    byte[] k = kv.key.get();
                    if (k.length > 0 && k[0] == TUPLE_KEY) {
                        break;
                    }
                    String id = new String(k, StandardCharsets.UTF_8);
                    if (!id.equals(afterId)) {
                        page.add(KeyValue.pair(id, decode(kv.value)));
                    }
                }
            }
            return page;
        }

        /** How many group tuples this task has numbered. */
        int tupleCount() {
            return numbers.size();
        }

        /** The tuple's number, written to the store first if it is new; null when the task has numbered its maximum. */
        private Integer number(GroupTuple tuple) {
            Integer number = numbers.get(tuple);
            if (number != null) {
                return number;
            }
            if (tuples.size() >= MAX_TUPLES) {
                return null;
            }
            GroupTuple own = new GroupTuple(List.copyOf(tuple.groups()), tuple.threshold());
            number = tuples.size();
            store.put(Bytes.wrap(tupleKey(number)), writeTuple(own));
            tuples.add(own);
            numbers.put(own, number);
            return number;
        }

        private static Bytes key(String id) {
            return Bytes.wrap(id.getBytes(StandardCharsets.UTF_8));
        }

        static byte[] tupleKey(int number) {
            return new byte[] {
                TUPLE_KEY, (byte) (number >>> 24), (byte) (number >>> 16), (byte) (number >>> 8), (byte) number
            };
        }

        private static int tupleNumber(byte[] key) {
            if (key.length != 5 || key[0] != TUPLE_KEY) {
                throw new IllegalStateException("not a group tuple key in the join's predictions store");
            }
            return ((key[1] & 0xFF) << 24) | ((key[2] & 0xFF) << 16) | ((key[3] & 0xFF) << 8) | (key[4] & 0xFF);
        }

        private static byte[] writeTuple(GroupTuple tuple) {
            JoinWriter out = new JoinWriter();
            out.u8(TUPLE_FORMAT);
            out.f64(tuple.threshold());
            out.varInt(tuple.groups().size());
            for (String g : tuple.groups()) {
                out.string(g);
            }
            return out.toByteArray();
        }

        private static GroupTuple readTuple(byte[] bytes) {
            try {
                JoinReader in = new JoinReader(bytes, 0);
                int format = in.u8();
                if (format != TUPLE_FORMAT) {
                    throw new SerializationException("unknown group tuple format " + format);
                }
                double threshold = in.f64();
                String[] groups = new String[in.varInt()];
                for (int i = 0; i < groups.length; i++) {
                    groups[i] = in.string();
                }
                in.end();
                return new GroupTuple(List.of(groups), threshold);
            } catch (IllegalArgumentException e) {
                throw new SerializationException("cannot decode group tuple", e);
            }
        }

        /** {@code number} null: the groups and threshold are written in the record (no tuple number left). */
        static byte[] encode(Integer number, Pending p) {
            JoinWriter out = new JoinWriter();
            out.u8(FORMAT);
            if (number == null) {
                out.varInt(0);
                out.f64(p.threshold());
                out.varInt(p.groups().size());
                for (String g : p.groups()) {
                    out.string(g);
                }
            } else {
                out.varInt(number + 1);
            }
            out.f64(p.score());
            out.varLong(zigzag(p.occurredAtMs()));
            boolean labelled = p.label() != -1 || p.revision() != -1 || p.labelObservedAtMs() != 0L;
            boolean subject = p.subject() != io.vigil.aggregates.OutcomeChange.NO_SUBJECT;
            boolean otherDay = p.cohortDay() != EventDay.ofEpochMilli(p.occurredAtMs());
            out.u8((labelled ? LABELLED : 0)
                    | (subject ? HAS_SUBJECT : 0)
                    | (otherDay ? OTHER_COHORT_DAY : 0)
                    | (p.ownWait() ? OWN_WAIT : 0));
            if (labelled) {
                out.u8(p.label());
                out.varLong(zigzag(p.revision()));
                out.varLong(zigzag(p.labelObservedAtMs() - p.occurredAtMs()));
            }
            if (subject) {
                out.i64(p.subject());
            }
            if (otherDay) {
                out.varLong(zigzag(p.cohortDay()));
            }
            return out.toByteArray();
        }

        private Pending decode(byte[] bytes) {
            if (bytes.length == 0 || (bytes[0] & 0xFF) != FORMAT) {
                return earlierFormats.deserializer().deserialize(null, bytes);
            }
            try {
                JoinReader in = new JoinReader(bytes, 1);
                int reference = in.varInt();
                GroupTuple tuple;
                if (reference == 0) {
                    double threshold = in.f64();
                    String[] groups = new String[in.varInt()];
                    for (int i = 0; i < groups.length; i++) {
                        groups[i] = in.string();
                    }
                    tuple = new GroupTuple(List.of(groups), threshold);
                } else {
                    int number = reference - 1;
                    tuple = number < tuples.size() ? tuples.get(number) : null;
                    if (tuple == null) {
                        throw new IllegalStateException("the join's predictions store has no group tuple " + number
                                + " for a prediction that refers to it: the store is damaged");
                    }
                }
                double score = in.f64();
                long occurredAtMs = unzigzag(in.varLong());
                int flags = in.u8();
                int label = -1;
                int revision = -1;
                long labelObservedAtMs = 0L;
                if ((flags & LABELLED) != 0) {
                    label = (byte) in.u8();
                    revision = (int) unzigzag(in.varLong());
                    labelObservedAtMs = occurredAtMs + unzigzag(in.varLong());
                }
                long subject = (flags & HAS_SUBJECT) != 0 ? in.i64() : io.vigil.aggregates.OutcomeChange.NO_SUBJECT;
                long cohortDay =
                        (flags & OTHER_COHORT_DAY) != 0 ? unzigzag(in.varLong()) : EventDay.ofEpochMilli(occurredAtMs);
                in.end();
                return new Pending(
                        tuple.groups(),
                        score,
                        tuple.threshold(),
                        cohortDay,
                        occurredAtMs,
                        label,
                        revision,
                        labelObservedAtMs,
                        subject,
                        (flags & OWN_WAIT) != 0);
            } catch (IllegalArgumentException e) {
                throw new SerializationException("cannot decode join record", e);
            }
        }

        private static long zigzag(long v) {
            return (v << 1) ^ (v >> 63);
        }

        private static long unzigzag(long v) {
            return (v >>> 1) ^ -(v & 1);
        }
    }

    // ---- compact binary serdes for the repartition topic and the stores ----
    // Format 3 (written to the repartition topic and the orphans store; the predictions store is written in
    // PendingPredictionStore's format 4): one byte array, groups as length-prefixed UTF-8.
    // Formats 1 (DataOutputStream, modified UTF-8) and 2 (no subject id) are still read, so stores and
    // repartition topics written by earlier versions decode.

    private static final int FORMAT_V1 = 1;
    /** Format 2: as 3 without the prediction's subject id (read as {@link OutcomeChange#NO_SUBJECT}). */
    private static final int FORMAT_V2 = 2;

    private static final int FORMAT = 3;

    private static void writePending(JoinWriter out, Pending p) {
        List<String> groups = p.groups();
        out.varInt(groups.size());
        for (String g : groups) {
            out.string(g);
        }
        out.f64(p.score());
        out.f64(p.threshold());
        out.i64(p.cohortDay());
        out.i64(p.occurredAtMs());
        out.u8(p.label());
        out.i32(p.revision());
        out.i64(p.labelObservedAtMs());
        out.i64(p.subject());
    }

    private static Pending readPending(JoinReader in, int format) {
        int n = in.varInt();
        String[] groups = new String[n];
        for (int i = 0; i < n; i++) {
            groups[i] = in.string();
        }
        return new Pending(
                List.of(groups),
                in.f64(),
                in.f64(),
                in.i64(),
                in.i64(),
                (byte) in.u8(),
                in.i32(),
                in.i64(),
                format == FORMAT_V2 ? OutcomeChange.NO_SUBJECT : in.i64(),
                false);
    }

    private static Pending readPendingV1(DataInputStream in) throws IOException {
        int n = in.readUnsignedShort();
        List<String> groups = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            groups.add(in.readUTF());
        }
        return new Pending(
                groups,
                in.readDouble(),
                in.readDouble(),
                in.readLong(),
                in.readLong(),
                in.readByte(),
                in.readInt(),
                in.readLong(),
                OutcomeChange.NO_SUBJECT,
                false);
    }

    /** A growable big-endian byte buffer (no synchronisation, no per-string arrays beyond UTF-8 encoding). */
    static final class JoinWriter {
        private byte[] buf = new byte[256];
        private int size;

        private void ensure(int n) {
            if (size + n > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
            }
        }

        void u8(int v) {
            ensure(1);
            buf[size++] = (byte) v;
        }

        void i32(int v) {
            ensure(4);
            for (int shift = 24; shift >= 0; shift -= 8) {
                buf[size++] = (byte) (v >>> shift);
            }
        }

        void i64(long v) {
            ensure(8);
            for (int shift = 56; shift >= 0; shift -= 8) {
                buf[size++] = (byte) (v >>> shift);
            }
        }

        void f64(double v) {
            i64(Double.doubleToRawLongBits(v));
        }

        void varInt(int v) {
            ensure(5);
            while ((v & ~0x7F) != 0) {
                buf[size++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[size++] = (byte) v;
        }

        /** An unsigned LEB128 long: 1 to 10 bytes. */
        void varLong(long v) {
            ensure(10);
            while ((v & ~0x7FL) != 0) {
                buf[size++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[size++] = (byte) v;
        }

        void string(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            varInt(utf8.length);
            ensure(utf8.length);
            System.arraycopy(utf8, 0, buf, size, utf8.length);
            size += utf8.length;
        }

        /** A nullable byte array: its length + 1 (0 for null), then the bytes. */
        void bytes(byte[] b) {
            if (b == null) {
                varInt(0);
                return;
            }
            varInt(b.length + 1);
            ensure(b.length);
            System.arraycopy(b, 0, buf, size, b.length);
            size += b.length;
        }

        byte[] toByteArray() {
            return java.util.Arrays.copyOf(buf, size);
        }
    }

    static final class JoinReader {
        private final byte[] buf;
        private int pos;

        JoinReader(byte[] buf, int pos) {
            this.buf = buf;
            this.pos = pos;
        }

        private void need(int n) {
            if (n < 0 || pos + n > buf.length) {
                throw new IllegalArgumentException("join record truncated at byte " + pos);
            }
        }

        int u8() {
            need(1);
            return buf[pos++] & 0xFF;
        }

        int i32() {
            need(4);
            int v = 0;
            for (int i = 0; i < 4; i++) {
                v = (v << 8) | (buf[pos++] & 0xFF);
            }
            return v;
        }

        long i64() {
            need(8);
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (buf[pos++] & 0xFF);
            }
            return v;
        }

        double f64() {
            return Double.longBitsToDouble(i64());
        }

        int varInt() {
            int v = 0;
            for (int shift = 0; shift < 35; shift += 7) {
                int b = u8();
                v |= (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    if (v < 0) {
                        throw new IllegalArgumentException("negative length at byte " + pos);
                    }
                    return v;
                }
            }
            throw new IllegalArgumentException("malformed length at byte " + pos);
        }

        long varLong() {
            long v = 0;
            for (int shift = 0; shift < 70; shift += 7) {
                int b = u8();
                v |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
            throw new IllegalArgumentException("malformed number at byte " + pos);
        }

        String string() {
            int n = varInt();
            need(n);
            String s = new String(buf, pos, n, StandardCharsets.UTF_8);
            pos += n;
            return s;
        }

        byte[] bytes() {
            int n = varInt();
            if (n == 0) {
                return null;
            }
            need(n - 1);
            byte[] b = java.util.Arrays.copyOfRange(buf, pos, pos + n - 1);
            pos += n - 1;
            return b;
        }

        void end() {
            if (pos != buf.length) {
                throw new IllegalArgumentException("trailing bytes in join record");
            }
        }
    }

    private abstract static class BinarySerde<T> implements Serde<T> {
        abstract void write(JoinWriter out, T value);

        abstract T read(JoinReader in, int format);

        abstract T readV1(DataInputStream in) throws IOException;

        @Override
        public Serializer<T> serializer() {
            return (topic, value) -> {
                if (value == null) {
                    return null;
                }
                JoinWriter out = new JoinWriter();
                out.u8(FORMAT);
                write(out, value);
                return out.toByteArray();
            };
        }

        @Override
        public Deserializer<T> deserializer() {
            return (topic, data) -> {
                if (data == null) {
                    return null;
                }
                try {
                    int format = data.length == 0 ? -1 : data[0] & 0xFF;
                    if (format == FORMAT || format == FORMAT_V2) {
                        JoinReader in = new JoinReader(data, 1);
                        T value = read(in, format);
                        in.end();
                        return value;
                    }
                    if (format == FORMAT_V1) {
                        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, 1, data.length - 1));
                        return readV1(in);
                    }
                    throw new SerializationException("unknown join record format " + format);
                } catch (IOException | RuntimeException e) {
                    if (e instanceof SerializationException se) {
                        throw se;
                    }
                    throw new SerializationException("cannot decode join record", e);
                }
            };
        }
    }

    static final class PendingSerde extends BinarySerde<Pending> {
        @Override
        void write(JoinWriter out, Pending value) {
            writePending(out, value);
        }

        @Override
        Pending read(JoinReader in, int format) {
            return readPending(in, format);
        }

        @Override
        Pending readV1(DataInputStream in) throws IOException {
            return readPendingV1(in);
        }
    }

    static final class InputSerde extends BinarySerde<Input> {
        @Override
        void write(JoinWriter out, Input value) {
            if (value.prediction() != null) {
                out.u8('P');
                writePending(out, value.prediction());
            } else {
                GroundTruth gt = value.label();
                Origin origin = value.origin();
                out.u8(origin == null ? 'L' : 'M');
                out.string(gt.predictionId());
                out.u8(gt.label());
                out.i64(gt.observedAt().toEpochMilli());
                out.string(gt.source());
                out.i32(gt.revision());
                out.i64(value.expiryDay());
                if (origin != null) {
                    out.bytes(origin.key());
                    out.bytes(origin.value());
                    out.i32(origin.partition());
                    out.i64(origin.offset());
                    out.varInt(origin.headers().size());
                    for (Header h : origin.headers()) {
                        out.string(h.key());
                        out.bytes(h.value());
                    }
                }
            }
        }

        @Override
        Input read(JoinReader in, int format) {
            int kind = in.u8();
            if (kind == 'P') {
                return new Input(readPending(in, format), null, 0L, null);
            }
            if (kind != 'L' && kind != 'M') {
                throw new IllegalArgumentException("unknown join input kind " + kind);
            }
            GroundTruth gt =
                    new GroundTruth(in.string(), in.u8(), Instant.ofEpochMilli(in.i64()), in.string(), in.i32());
            long expiryDay = in.i64();
            if (kind == 'L') {
                return new Input(null, gt, expiryDay, null);
            }
            byte[] key = in.bytes();
            byte[] value = in.bytes();
            int partition = in.i32();
            long offset = in.i64();
            int n = in.varInt();
            List<Header> headers = new java.util.ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                headers.add(KafkaHeaders.of(in.string(), in.bytes()));
            }
            return new Input(null, gt, expiryDay, new Origin(key, value, partition, offset, List.copyOf(headers)));
        }

        @Override
        Input readV1(DataInputStream in) throws IOException {
            int kind = in.readUnsignedByte();
            if (kind == 'P') {
                return new Input(readPendingV1(in), null, 0L, null);
            }
            GroundTruth gt = new GroundTruth(
                    in.readUTF(), in.readByte(), Instant.ofEpochMilli(in.readLong()), in.readUTF(), in.readInt());
            return new Input(null, gt, in.readLong(), null);
        }
    }
}
