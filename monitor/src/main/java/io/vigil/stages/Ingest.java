package io.vigil.stages;

import io.vigil.deadletters.DeadLetterLimit;
import io.vigil.deadletters.DeadLetters;
import io.vigil.events.EventValidator;
import io.vigil.events.GroundTruth;
import io.vigil.events.Prediction;
import io.vigil.events.Reason;
import io.vigil.events.Validation;
import io.vigil.state.CountsStore;
import io.vigil.topics.Input;
import io.vigil.topics.Topic;
import io.vigil.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest stage: parses and validates every input record exactly once. An accepted record
 * continues as a typed value keyed by its {@code prediction_id}; a rejected one goes to the
 * dead-letter topic with its original key, value and headers plus the reason and origin
 * ({@link DeadLetters}). Every record is counted per stream, outcome and reason in a state store
 * (so the counts are exactly-once with the output and survive restarts), which {@code /metrics}
 * reads: accepted + dead-lettered = received. The Kafka key of an input record plays no part in
 * validation: whatever the producer keyed it by, a valid record is accepted (the outcome join routes it
 * to its prediction id's partition, {@link OutcomeJoin}).
 */
public final class Ingest {
    private static final Logger LOG = LoggerFactory.getLogger(Ingest.class);

    /** Outcome key in the counts store for accepted records; rejected ones use {@code dead_lettered:<reason>}. */
    public static final String ACCEPTED = "accepted";

    public static final String DEAD_LETTERED_PREFIX = "dead_lettered:";

    /** The typed streams that leave ingest, keyed by prediction id. */
    public record Output(KStream<String, Prediction> predictions, KStream<String, GroundTruth> groundTruth) {}

    private final Topics topics;
    private final EventValidator validator;
    private final DeadLetterLimit deadLetterLimit;

    public Ingest(Topics topics, EventValidator validator) {
        this(topics, validator, DeadLetterLimit.kafkaDefaults());
    }

    /**
     * @param deadLetterLimit how big a dead letter may be; a rejected record above it is dead-lettered
     *                        truncated ({@link DeadLetters#fit})
     */
    public Ingest(Topics topics, EventValidator validator, DeadLetterLimit deadLetterLimit) {
        this.topics = topics;
        this.validator = validator;
        this.deadLetterLimit = deadLetterLimit;
    }

    /** Adds the ingest stage to {@code builder}. */
    public Output addTo(StreamsBuilder builder) {
        KStream<String, Prediction> predictions = branch(
                builder, Input.PREDICTIONS, topics.predictions(), validator::prediction, Prediction::predictionId);
        KStream<String, GroundTruth> labels = branch(
                builder, Input.GROUND_TRUTH, topics.groundTruth(), validator::groundTruth, GroundTruth::predictionId);
        return new Output(predictions, labels);
    }

    private <T> KStream<String, T> branch(
            StreamsBuilder builder,
            Input stream,
            Topic<byte[], byte[]> source,
            BiFunction<byte[], Instant, Validation<T>> validate,
            Function<T, String> keyOf) {
        String name = "ingest-" + stream.label.replace('_', '-');
        builder.addStateStore(CountsStore.builder(stream.countsStore()));

        KStream<String, Checked<T>> checked = builder.stream(source.name(), source.consumed(name + "-source"))
                .process(
                        () -> new Check<>(stream, validate, keyOf, deadLetterLimit),
                        Named.as(name + "-validate"),
                        stream.countsStore());

        checked.filter((k, v) -> v.value() == null, Named.as(name + "-rejected"))
                .map((k, v) -> KeyValue.pair(v.rawKey(), v.rawValue()), Named.as(name + "-original-bytes"))
                .to(topics.deadLetters().name(), topics.deadLetters().produced(stream.deadLetterSinkName()));

        return checked.filter((k, v) -> v.value() != null, Named.as(name + "-accepted"))
                .mapValues(Checked::value, Named.as(name + "-typed"));
    }

    /** An input record after validation: a typed value, or null and the original bytes. */
    record Checked<T>(T value, byte[] rawKey, byte[] rawValue) {}

    private static final class Check<T> implements Processor<byte[], byte[], String, Checked<T>> {
        private final Input stream;
        private final BiFunction<byte[], Instant, Validation<T>> validate;
        private final Function<T, String> keyOf;
        private final DeadLetterLimit deadLetterLimit;
        private ProcessorContext<String, Checked<T>> context;
        private CountsStore counts;

        Check(
                Input stream,
                BiFunction<byte[], Instant, Validation<T>> validate,
                Function<T, String> keyOf,
                DeadLetterLimit deadLetterLimit) {
            this.deadLetterLimit = deadLetterLimit;
            this.stream = stream;
            this.validate = validate;
            this.keyOf = keyOf;
        }

        @Override
        public void init(ProcessorContext<String, Checked<T>> context) {
            this.context = context;
            this.counts = context.getStateStore(stream.countsStore());
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
            Validation<T> result = validate.apply(record.value(), now);
            if (result instanceof Validation.Accepted<T> accepted) {
                T value = accepted.value();
                String id = keyOf.apply(value);
                increment(ACCEPTED);
                if (stream == Input.GROUND_TRUTH) {
                    // A label may still be dead-lettered by the outcome join (unmatched, after the max
                    // delay): it keeps what it needs to be dead-lettered as sent (OutcomeJoin.Origin).
                    RecordMetadata origin = context.recordMetadata().orElseThrow();
                    Headers headers = record.headers();
                    headers.add(DeadLetters.ORIGIN_VALUE, record.value());
                    if (record.key() != null) {
                        headers.add(DeadLetters.ORIGIN_KEY, record.key());
                    }
                    headers.add(
                            DeadLetters.SOURCE_PARTITION,
                            Integer.toString(origin.partition()).getBytes(StandardCharsets.UTF_8));
                    headers.add(
                            DeadLetters.SOURCE_OFFSET,
                            Long.toString(origin.offset()).getBytes(StandardCharsets.UTF_8));
                }
                context.forward(record.withKey(id).withValue(new Checked<>(value, null, null)));
                return;
            }
            Reason reason = ((Validation.Rejected<T>) result).reason();
            RecordMetadata origin = context.recordMetadata().orElseThrow();
            DeadLetters.annotate(
                    record.headers(), "ingest", reason, origin.topic(), origin.partition(), origin.offset());
            increment(DEAD_LETTERED_PREFIX + reason.code());
            // The reason is value-free by construction (EventValidator), so it is safe to log.
            LOG.debug(
                    "dead-lettered {} record {}-{}@{}: {} {}",
                    stream.label,
                    origin.topic(),
                    origin.partition(),
                    origin.offset(),
                    reason.code(),
                    reason.path());
            // Bigger than the dead-letter topic takes (an input topic may allow more): truncated, marked, kept.
            byte[] value =
                    DeadLetters.fit(record.key(), record.value(), record.headers(), deadLetterLimit.maxRecordBytes());
            context.forward(record.withKey((String) null).withValue(new Checked<>(null, record.key(), value)));
        }

        private void increment(String outcome) {
            counts.increment(outcome);
        }
    }

    /** Every outcome key the counts store can hold for the given reason codes. */
    public static List<String> outcomeKeys(Set<String> reasonCodes) {
        List<String> keys = new java.util.ArrayList<>();
        keys.add(ACCEPTED);
        reasonCodes.stream().sorted().forEach(code -> keys.add(DEAD_LETTERED_PREFIX + code));
        return keys;
    }
}
