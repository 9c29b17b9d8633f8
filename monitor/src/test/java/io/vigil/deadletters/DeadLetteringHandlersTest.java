package io.vigil.deadletters;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.events.Reason;
import io.vigil.topics.Input;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

/** The handlers' decisions, one class on its own (their effect on a real broker: OversizedRecordIT). */
class DeadLetteringHandlersTest {
    private static final String DLQ = "vigil.dead-letters";
    private final FailedRecords failed = new FailedRecords();
    private final DeadLetterLimit limit = new DeadLetterLimit(10_000, 10_000);

    private Map<String, Object> configs(String guarantee) {
        Map<String, Object> c = new HashMap<>();
        c.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, DLQ);
        c.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        c.put(DeadLetteringHandlers.FAILED_RECORDS, failed);
        c.put(DeadLetteringHandlers.LIMIT, limit);
        return c;
    }

    private static ErrorHandlerContext context(TaskId task, String node, byte[] rawValue) {
        return new ErrorHandlerContext() {
            public String topic() {
                return "vigil.predictions";
            }

            public int partition() {
                return 2;
            }

            public long offset() {
                return 41;
            }

            public Headers headers() {
                return new RecordHeaders();
            }

            public String processorNodeId() {
                return node;
            }

            public TaskId taskId() {
                return task;
            }

            public long timestamp() {
                return 0;
            }

            public byte[] sourceRawKey() {
                return "k".getBytes(StandardCharsets.UTF_8);
            }

            public byte[] sourceRawValue() {
                return rawValue;
            }
        };
    }

    private static String header(ProducerRecord<byte[], byte[]> r, String name) {
        return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    @Test
    void shouldDeadLetterTheSourceRecordTruncatedWhenAStageThrowsOnIt() {
        DeadLetteringHandlers.Processing handler = new DeadLetteringHandlers.Processing();
        handler.configure(configs("exactly_once_v2"));
        byte[] big = new byte[50_000];
        Arrays.fill(big, (byte) 'z');

        ProcessingExceptionHandler.Response r = handler.handleError(
                context(new TaskId(0, 2), "outcome-join", big),
                new Record<>("k", "v", 0L),
                new IllegalStateException("boom"));

        assertThat(r.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
        assertThat(r.deadLetterQueueRecords()).hasSize(1);
        ProducerRecord<byte[], byte[]> letter = r.deadLetterQueueRecords().get(0);
        assertThat(letter.topic()).isEqualTo(DLQ);
        assertThat(header(letter, DeadLetters.REASON)).isEqualTo(Reason.PROCESSING_ERROR);
        assertThat(header(letter, DeadLetters.STAGE)).isEqualTo("processing:outcome-join");
        assertThat(header(letter, DeadLetters.SOURCE_OFFSET)).isEqualTo("41");
        assertThat(header(letter, DeadLetters.TRUNCATED)).isEqualTo("true");
        assertThat(header(letter, DeadLetters.ORIGINAL_SIZE)).isEqualTo("50000");
        assertThat(DeadLetters.size(letter.key(), letter.value(), letter.headers()))
                .isLessThanOrEqualTo(limit.maxRecordBytes());
        assertThat(failed.handled())
                .containsEntry(
                        new FailedRecords.Key(
                                "processing", FailedRecords.Outcome.DEAD_LETTERED, Reason.PROCESSING_ERROR),
                        1L);
    }

    @Test
    void shouldDropAndCountWhatThrowsOnTheGlobalThreadWhichHasNoDeadLetterPath() {
        DeadLetteringHandlers.Processing handler = new DeadLetteringHandlers.Processing();
        handler.configure(configs("exactly_once_v2"));

        ProcessingExceptionHandler.Response r = handler.handleError(
                context(new TaskId(-1, -1), "references", new byte[10]),
                new Record<>("k", "v", 0L),
                new IllegalStateException("boom"));

        assertThat(r.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
        assertThat(r.deadLetterQueueRecords()).isEmpty();
        assertThat(failed.handled())
                .containsEntry(
                        new FailedRecords.Key("processing", FailedRecords.Outcome.DROPPED, Reason.PROCESSING_ERROR),
                        1L);
    }

    @Test
    void shouldDeadLetterACopyOfAnOutputTheBrokerRefusesAndRetryRetriableErrors() {
        DeadLetteringHandlers.Production handler = new DeadLetteringHandlers.Production();
        handler.configure(configs("at_least_once"));
        ProducerRecord<byte[], byte[]> output =
                new ProducerRecord<>("vigil.snapshots", new byte[] {1}, new byte[20_000]);

        ProductionExceptionHandler.Response tooLarge = handler.handleError(
                context(new TaskId(3, 0), "snapshots-sink", null), output, new RecordTooLargeException("too large"));
        ProductionExceptionHandler.Response retriable = handler.handleError(
                context(new TaskId(3, 0), "snapshots-sink", null), output, new NotLeaderOrFollowerException("moved"));

        assertThat(tooLarge.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
        assertThat(tooLarge.deadLetterQueueRecords()).singleElement().satisfies(letter -> {
            assertThat(letter.topic()).isEqualTo(DLQ);
            assertThat(header(letter, DeadLetters.REASON)).isEqualTo(Reason.PRODUCTION_ERROR);
            assertThat(header(letter, DeadLetters.STAGE)).isEqualTo("production:vigil.snapshots");
            assertThat(header(letter, DeadLetters.TRUNCATED)).isEqualTo("true");
        });
        assertThat(retriable.result()).isEqualTo(ProductionExceptionHandler.Result.RETRY);
    }

    @Test
    void shouldNeverDeadLetterARefusedDeadLetterAgainButShrinkTheLimit() {
        DeadLetteringHandlers.Production exactlyOnce = new DeadLetteringHandlers.Production();
        exactlyOnce.configure(configs("exactly_once_v2"));
        Headers headers = new RecordHeaders();
        headers.add(DeadLetters.REASON, "not_json".getBytes(StandardCharsets.UTF_8));
        ProducerRecord<byte[], byte[]> letter =
                new ProducerRecord<>(DLQ, (Integer) null, (byte[]) null, new byte[8_000], headers);
        ErrorHandlerContext sink = context(new TaskId(0, 0), Input.PREDICTIONS.deadLetterSinkName(), null);

        ProductionExceptionHandler.Response eos =
                exactlyOnce.handleError(sink, letter, new RecordTooLargeException("too large"));

        // Exactly-once: the transaction is lost anyway; fail the task so it processes the record again, smaller.
        assertThat(eos.result()).isEqualTo(ProductionExceptionHandler.Result.FAIL);
        assertThat(eos.deadLetterQueueRecords()).isEmpty();
        assertThat(limit.maxRecordBytes()).isLessThan(8_000 / 4);
        assertThat(failed.refusedIngestDeadLetters(Input.PREDICTIONS, "not_json"))
                .isZero();

        DeadLetteringHandlers.Production atLeastOnce = new DeadLetteringHandlers.Production();
        atLeastOnce.configure(configs("at_least_once"));
        ProductionExceptionHandler.Response alos =
                atLeastOnce.handleError(sink, letter, new RecordTooLargeException("too large"));

        // At-least-once: dropped, counted against its stream and reason, and the stream goes on.
        assertThat(alos.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
        assertThat(alos.deadLetterQueueRecords()).isEmpty();
        assertThat(failed.refusedIngestDeadLetters(Input.PREDICTIONS, "not_json"))
                .isEqualTo(1);
    }

    @Test
    void shouldKeepARecordWholeWhenItFitsAndCutOnlyTheValueWhenItDoesNot() {
        Headers fits = new RecordHeaders();
        byte[] small = new byte[100];
        assertThat(DeadLetters.fit(new byte[10], small, fits, 1_000)).isSameAs(small);
        assertThat(fits.lastHeader(DeadLetters.TRUNCATED)).isNull();

        Headers cut = new RecordHeaders();
        byte[] value = new byte[5_000];
        byte[] fitted = DeadLetters.fit(new byte[10], value, cut, 1_000);
        assertThat(DeadLetters.size(new byte[10], fitted, cut)).isEqualTo(1_000);
        assertThat(new String(cut.lastHeader(DeadLetters.ORIGINAL_SIZE).value(), StandardCharsets.UTF_8))
                .isEqualTo("5000");

        assertThat(DeadLetters.fit(new byte[2_000], value, new RecordHeaders(), 1_000))
                .isEmpty();
    }

    @Test
    void shouldTakeTheSmallerOfTopicAndProducerLimitsLessFraming() {
        assertThat(new DeadLetterLimit(2_000_000, 1_048_576).maxRecordBytes()).isEqualTo(1_048_576 - 512);
        assertThat(new DeadLetterLimit(100_000, 1_048_576).maxRecordBytes()).isEqualTo(100_000 - 512);
        assertThat(new DeadLetterLimit(100, 1_048_576).maxRecordBytes()).isZero();
    }
}
