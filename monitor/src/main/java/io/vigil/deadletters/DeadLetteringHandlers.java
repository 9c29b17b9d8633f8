package io.vigil.deadletters;

import io.vigil.events.Reason;
import io.vigil.topics.Input;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Kafka Streams' processing and production exception handlers for Vigil: no record can stop a stream.
 *
 * <ul>
 *   <li>A stage that throws: the source record (original key, value and headers) is dead-lettered with
 *       reason {@code processing_error}, the throwing processor and its source coordinates, and the stream
 *       goes on. On the global thread (the references store), which has no dead-letter path, it is dropped
 *       and counted.</li>
 *   <li>An output the broker refuses (too large, invalid): a copy goes to the dead-letter topic with reason
 *       {@code production_error}; retriable errors are retried.</li>
 *   <li>A dead letter the broker refuses, even truncated to the topic's limit: never dead-lettered again (the
 *       recursion that once overflowed the producer's stack); the limit shrinks and, under exactly-once, the
 *       task processes the record again; under at-least-once it is dropped and counted.</li>
 * </ul>
 * Dead letters bigger than the topic takes are truncated ({@link DeadLetters#fit}). Counts go to the
 * {@link FailedRecords} passed in the Streams configuration under {@link #FAILED_RECORDS}; the limit
 * under {@link #LIMIT}. Logs name the processor, topic, partition and offset, never a record's content.
 */
public final class DeadLetteringHandlers {
    /** Streams configuration key holding the {@link FailedRecords} instance. */
    public static final String FAILED_RECORDS = "vigil.handlers.failed-records";
    /** Streams configuration key holding the {@link DeadLetterLimit} instance. */
    public static final String LIMIT = "vigil.handlers.dead-letter-limit";

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetteringHandlers.class);

    private DeadLetteringHandlers() {}

    /** What both handlers read from the Streams configuration. */
    private static final class Settings {
        String deadLetterTopic;
        boolean exactlyOnce;
        FailedRecords failed = new FailedRecords();
        DeadLetterLimit limit = DeadLetterLimit.kafkaDefaults();

        void configure(Map<String, ?> configs) {
            Object topic = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
            deadLetterTopic = topic == null ? null : topic.toString();
            Object guarantee = configs.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
            exactlyOnce = guarantee != null && guarantee.toString().startsWith("exactly_once");
            if (configs.get(FAILED_RECORDS) instanceof FailedRecords f) {
                failed = f;
            }
            if (configs.get(LIMIT) instanceof DeadLetterLimit l) {
                limit = l;
            }
        }
    }

    private static boolean onGlobalThread(ErrorHandlerContext context) {
        return context.taskId() == null || context.taskId().subtopology() < 0;
    }

    /** Dead-letters the source of any record a processor throws on. */
    public static final class Processing implements ProcessingExceptionHandler {
        private final Settings settings = new Settings();

        @Override
        public void configure(Map<String, ?> configs) {
            settings.configure(configs);
        }

        @Override
        public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
            try (SourceMdc ignored = SourceMdc.of(context)) {
                return handleProcessing(context, exception);
            }
        }

        private Response handleProcessing(ErrorHandlerContext context, Exception exception) {
            String stage = "processing";
            if (settings.deadLetterTopic == null
                    || onGlobalThread(context)
                    || (context.sourceRawKey() == null && context.sourceRawValue() == null)) {
                settings.failed.count(stage, FailedRecords.Outcome.DROPPED, Reason.PROCESSING_ERROR);
                LOG.error(
                        "Processor {} threw {} on {}-{}@{}; no dead-letter path here, record dropped and counted",
                        context.processorNodeId(),
                        exception.getClass().getName(),
                        context.topic(),
                        context.partition(),
                        context.offset());
                return Response.resume();
            }
            LOG.error(
                    "Processor {} threw {} on {}-{}@{}; source record dead-lettered",
                    context.processorNodeId(),
                    exception.getClass().getName(),
                    context.topic(),
                    context.partition(),
                    context.offset());
            settings.failed.count(stage, FailedRecords.Outcome.DEAD_LETTERED, Reason.PROCESSING_ERROR);
            return Response.resume(List.of(DeadLetters.record(
                    settings.deadLetterTopic,
                    context.sourceRawKey(),
                    context.sourceRawValue(),
                    context.headers(),
                    stage + ":" + context.processorNodeId(),
                    new Reason(Reason.PROCESSING_ERROR, "", exception.getClass().getSimpleName()),
                    context.topic(),
                    context.partition(),
                    context.offset(),
                    settings.limit.maxRecordBytes())));
        }
    }

    /** Dead-letters outputs the broker refuses; drops (and counts) dead letters it refuses. */
    public static final class Production implements ProductionExceptionHandler {
        private final Settings settings = new Settings();

        @Override
        public void configure(Map<String, ?> configs) {
            settings.configure(configs);
        }

        @Override
        public Response handleError(
                ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
            try (SourceMdc ignored = SourceMdc.of(context)) {
                return handleProduction(context, record, exception);
            }
        }

        private Response handleProduction(
                ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
            if (exception instanceof RetriableException) {
                return Response.retry();
            }
            String stage = "production";
            if (settings.deadLetterTopic == null || record.topic().equals(settings.deadLetterTopic)) {
                return refusedDeadLetter(context, record, exception);
            }
            LOG.error(
                    "The broker refused a record for {} from {}-{}@{} ({}); a copy is dead-lettered",
                    record.topic(),
                    context.topic(),
                    context.partition(),
                    context.offset(),
                    exception.getClass().getName());
            settings.failed.count(stage, FailedRecords.Outcome.DEAD_LETTERED, Reason.PRODUCTION_ERROR);
            return Response.resume(List.of(DeadLetters.record(
                    settings.deadLetterTopic,
                    record.key(),
                    record.value(),
                    record.headers(),
                    stage + ":" + record.topic(),
                    new Reason(Reason.PRODUCTION_ERROR, "", exception.getClass().getSimpleName()),
                    context.topic(),
                    context.partition(),
                    context.offset(),
                    settings.limit.maxRecordBytes())));
        }

        @Override
        @SuppressWarnings("rawtypes")
        public Response handleSerializationError(
                ErrorHandlerContext context,
                ProducerRecord record,
                Exception exception,
                SerializationExceptionOrigin origin) {
            try (SourceMdc ignored = SourceMdc.of(context)) {
                return handleSerialization(context, record, exception, origin);
            }
        }

        @SuppressWarnings("rawtypes")
        private Response handleSerialization(
                ErrorHandlerContext context,
                ProducerRecord record,
                Exception exception,
                SerializationExceptionOrigin origin) {
            String stage = "serialization";
            LOG.error(
                    "Cannot serialise the {} of a record for {} from {}-{}@{} ({})",
                    origin,
                    record.topic(),
                    context.topic(),
                    context.partition(),
                    context.offset(),
                    exception.getClass().getName());
            if (settings.deadLetterTopic == null || context.sourceRawValue() == null) {
                settings.failed.count(stage, FailedRecords.Outcome.DROPPED, Reason.PRODUCTION_ERROR);
                return Response.resume();
            }
            settings.failed.count(stage, FailedRecords.Outcome.DEAD_LETTERED, Reason.PRODUCTION_ERROR);
            return Response.resume(List.of(DeadLetters.record(
                    settings.deadLetterTopic,
                    context.sourceRawKey(),
                    context.sourceRawValue(),
                    context.headers(),
                    stage + ":" + record.topic(),
                    new Reason(Reason.PRODUCTION_ERROR, "", exception.getClass().getSimpleName()),
                    context.topic(),
                    context.partition(),
                    context.offset(),
                    settings.limit.maxRecordBytes())));
        }

        /**
         * A dead letter the broker refused (its topic's limit lowered after Vigil read it, say). The limit
         * shrinks below the refused size either way. Under exactly-once the refusal aborts the transaction,
         * so the handler fails the task: Kafka Streams replaces the thread, the task processes the record again
         * and its dead letter is truncated further (a dead letter that cannot fit at all fails the task every
         * time, and after five replacements Vigil stops and says why). Under at-least-once the record is
         * dropped and counted, and the stream goes on.
         */
        private Response refusedDeadLetter(
                ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
            long size = DeadLetters.size(record.key(), record.value(), record.headers());
            settings.limit.shrinkBelow(size);
            String where = context == null ? "?" : context.topic() + "-" + context.partition() + "@" + context.offset();
            if (settings.exactlyOnce) {
                LOG.error(
                        "The broker refused a dead letter of {} bytes for {} ({}); dead letters are now cut to {} "
                                + "bytes and the task will process the record again",
                        size,
                        where,
                        exception.getClass().getName(),
                        settings.limit.maxRecordBytes());
                return Response.fail();
            }
            String reason = header(record, DeadLetters.REASON);
            Input stream = ingestStream(context);
            if (stream != null && reason != null && Reason.CODES.contains(reason)) {
                settings.failed.refusedIngestDeadLetter(stream, reason);
            } else {
                settings.failed.count("production", FailedRecords.Outcome.DROPPED, Reason.PRODUCTION_ERROR);
            }
            LOG.error(
                    "The broker refused a dead letter of {} bytes for {} ({}); dropped and counted",
                    size,
                    where,
                    exception.getClass().getName());
            return Response.resume();
        }

        /** The input stream whose ingest dead letter this was, from the sink's processor name, or null. */
        private static Input ingestStream(ErrorHandlerContext context) {
            if (context == null || context.processorNodeId() == null) {
                return null;
            }
            for (Input s : Input.values()) {
                if (context.processorNodeId().equals(s.deadLetterSinkName())) {
                    return s;
                }
            }
            return null;
        }

        private static String header(ProducerRecord<byte[], byte[]> record, String name) {
            if (record.headers() == null) {
                return null;
            }
            Header h = record.headers().lastHeader(name);
            return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
        }
    }

    /**
     * The failed record's source topic, partition and offset in the logging MDC while a handler runs, so a
     * JSON log line carries them as fields ({@code kafka.topic}, {@code kafka.partition}, {@code kafka.offset}).
     * Coordinates only: never a key or a value.
     */
    private record SourceMdc() implements AutoCloseable {
        static SourceMdc of(ErrorHandlerContext context) {
            MDC.put("kafka.topic", context.topic());
            MDC.put("kafka.partition", Integer.toString(context.partition()));
            MDC.put("kafka.offset", Long.toString(context.offset()));
            return new SourceMdc();
        }

        @Override
        public void close() {
            MDC.remove("kafka.topic");
            MDC.remove("kafka.partition");
            MDC.remove("kafka.offset");
        }
    }
}
