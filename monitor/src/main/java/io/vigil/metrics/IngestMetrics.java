package io.vigil.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.vigil.deadletters.FailedRecords;
import io.vigil.stages.Ingest;
import io.vigil.topics.Input;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * {@code vigil_ingest_records_total{stream, outcome, reason}}: records received per input stream,
 * by outcome ({@code accepted}, {@code dead_lettered}, {@code dropped}) and dead-letter reason, so that
 * received = accepted + dead_lettered + dropped. {@code dropped} are dead letters the broker refused even
 * truncated ({@link FailedRecords}, counted in this process): they leave {@code dead_lettered} for
 * {@code dropped} under the same reason. For ground truth the outcome is the record's last: a label the
 * outcome join dead-letters ({@code unmatched_label}, {@code label_after_max_delay}) leaves {@code accepted}
 * for {@code dead_lettered} under that reason, so that received = accepted + dead_lettered + dropped still
 * holds. Reads the ingest
 * count stores of the active tasks of this instance: with several instances each counts its own share
 * of the input partitions and the sum across instances is the total (standby copies are not counted).
 * While Kafka Streams rebalances, the last sums are kept ({@link StoreTotals}).
 */
public final class IngestMetrics implements MeterBinder {
    private final Map<Input, StoreTotals> totals = new EnumMap<>(Input.class);
    private final Set<String> reasonCodes;
    private final FailedRecords failed;
    private OutcomeJoinMetrics join;

    /**
     * @param stores      looks up the local store of one partition by name, or null when this instance does not
     *                    hold that partition as an active task or it is not queryable
     * @param partitions  how many partitions to look at
     * @param reasonCodes every reason code the validator can produce (a bounded set)
     * @param running     whether Kafka Streams is running
     */
    public IngestMetrics(
            PartitionStores stores, IntSupplier partitions, Set<String> reasonCodes, BooleanSupplier running) {
        this(stores, partitions, reasonCodes, running, new FailedRecords());
    }

    /** @param failed what the exception handlers did, for the dead letters the broker refused */
    public IngestMetrics(
            PartitionStores stores,
            IntSupplier partitions,
            Set<String> reasonCodes,
            BooleanSupplier running,
            FailedRecords failed) {
        this.failed = failed;
        for (Input stream : Input.values()) {
            totals.put(
                    stream,
                    new StoreTotals(
                            p -> stores.get(stream.countsStore(), p),
                            partitions,
                            running,
                            System::currentTimeMillis,
                            StoreTotals.DEFAULT_GRACE));
        }
        this.reasonCodes = reasonCodes;
    }

    /** Reads the outcome join's dead-lettered labels too (see the class comment). */
    public IngestMetrics withOutcomeJoin(OutcomeJoinMetrics join) {
        this.join = join;
        return this;
    }

    /** Labels the outcome join dead-lettered with this reason (0 for other reasons or streams). */
    private long joinDeadLettered(Input stream, String reason) {
        if (join == null || stream != Input.GROUND_TRUTH) {
            return 0;
        }
        String event = switch (reason) {
            case io.vigil.events.Reason.UNMATCHED_LABEL -> io.vigil.stages.OutcomeJoin.LABELS_UNMATCHED_EXPIRED;
            case io.vigil.events.Reason.LABEL_AFTER_MAX_DELAY -> io.vigil.stages.OutcomeJoin.LABELS_AFTER_MAX_DELAY;
            default -> null;
        };
        return event == null ? 0 : join.totals().getOrDefault(event, 0L);
    }

    private long joinDeadLettered(Input stream) {
        return joinDeadLettered(stream, io.vigil.events.Reason.UNMATCHED_LABEL)
                + joinDeadLettered(stream, io.vigil.events.Reason.LABEL_AFTER_MAX_DELAY);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (Input stream : Input.values()) {
            for (String outcome : Ingest.outcomeKeys(reasonCodes)) {
                boolean accepted = outcome.equals(Ingest.ACCEPTED);
                String reason = accepted ? "none" : outcome.substring(Ingest.DEAD_LETTERED_PREFIX.length());
                register(
                        registry,
                        stream,
                        accepted ? "accepted" : "dead_lettered",
                        reason,
                        m -> accepted
                                ? Math.max(0, m.count(stream, outcome) - m.joinDeadLettered(stream))
                                : Math.max(
                                                0,
                                                m.count(stream, outcome)
                                                        - failed.refusedIngestDeadLetters(stream, reason))
                                        + m.joinDeadLettered(stream, reason));
                if (!accepted) {
                    register(registry, stream, "dropped", reason, m -> failed.refusedIngestDeadLetters(stream, reason));
                }
            }
        }
    }

    private void register(
            MeterRegistry registry,
            Input stream,
            String outcome,
            String reason,
            java.util.function.ToDoubleFunction<IngestMetrics> value) {
        FunctionCounter.builder("vigil.ingest.records", this, value)
                .description("Input records received, by stream, outcome and dead-letter reason")
                .baseUnit("records")
                .tag("stream", stream.label)
                .tag("outcome", outcome)
                .tag("reason", reason)
                .register(registry);
    }

    /** Records received on a stream by the tasks of this instance: accepted + dead-lettered. */
    public long received(Input stream) {
        return totals(stream).values().stream().mapToLong(Long::longValue).sum();
    }

    private double count(Input stream, String outcome) {
        return totals(stream).getOrDefault(outcome, 0L);
    }

    /** Sums over every local partition's store. */
    Map<String, Long> totals(Input stream) {
        return totals.get(stream).get();
    }
}
