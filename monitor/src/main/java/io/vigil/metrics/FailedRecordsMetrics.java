package io.vigil.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.vigil.deadletters.FailedRecords;
import io.vigil.events.Reason;
import java.util.List;

/**
 * {@code vigil_failed_records_total{stage, outcome, reason}}: records Kafka Streams' exception handlers
 * were given after ingest ({@code processing}: a stage threw; {@code production}: the broker refused an
 * output; {@code serialization}), dead-lettered or dropped. Counted in this process: it starts at 0 with
 * the process (Prometheus sees the restart in {@code process_start_time_seconds}). Every series exists
 * from the start at 0, so an alert can fire on {@code increase(...) > 0}.
 */
public final class FailedRecordsMetrics implements MeterBinder {
    private static final List<String> STAGES = List.of("processing", "production", "serialization");
    private final FailedRecords failed;

    public FailedRecordsMetrics(FailedRecords failed) {
        this.failed = failed;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (String stage : STAGES) {
            String reason = stage.equals("processing") ? Reason.PROCESSING_ERROR : Reason.PRODUCTION_ERROR;
            for (FailedRecords.Outcome outcome : FailedRecords.Outcome.values()) {
                FailedRecords.Key key = new FailedRecords.Key(stage, outcome, reason);
                FunctionCounter.builder(
                                "vigil.failed.records",
                                this,
                                m -> m.failed.handled().getOrDefault(key, 0L))
                        .description("Records Kafka Streams' exception handlers dead-lettered or dropped after ingest")
                        .baseUnit("records")
                        .tag("stage", stage)
                        .tag("outcome", outcome.label)
                        .tag("reason", reason)
                        .register(registry);
            }
        }
    }
}
