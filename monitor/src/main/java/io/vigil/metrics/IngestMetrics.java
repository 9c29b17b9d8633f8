package io.vigil.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.vigil.topology.Ingest;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * {@code vigil_ingest_records_total{stream, outcome, reason}}: records received per input stream,
 * by outcome ({@code accepted}, {@code dead_lettered}) and dead-letter reason. Reads the ingest
 * count stores of the tasks this instance owns; summing across instances gives the totals.
 */
public final class IngestMetrics implements MeterBinder {
    private final Function<String, ReadOnlyKeyValueStore<String, Long>> stores;
    private final Set<String> reasonCodes;

    /**
     * @param stores      looks up the local (all-partition) view of a count store by name, or null
     *                    while the store is not queryable
     * @param reasonCodes every reason code the validator can produce (a bounded set)
     */
    public IngestMetrics(Function<String, ReadOnlyKeyValueStore<String, Long>> stores, Set<String> reasonCodes) {
        this.stores = stores;
        this.reasonCodes = reasonCodes;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (Ingest.Stream stream : Ingest.Stream.values()) {
            for (String outcome : Ingest.outcomeKeys(reasonCodes)) {
                boolean accepted = outcome.equals(Ingest.ACCEPTED);
                FunctionCounter.builder("vigil.ingest.records", this, m -> m.count(stream, outcome))
                        .description("Input records received, by stream, outcome and dead-letter reason")
                        .baseUnit("records")
                        .tag("stream", stream.label)
                        .tag("outcome", accepted ? "accepted" : "dead_lettered")
                        .tag("reason", accepted ? "none" : outcome.substring(Ingest.DEAD_LETTERED_PREFIX.length()))
                        .register(registry);
            }
        }
    }

    /** Records received on a stream by the tasks of this instance: accepted + dead-lettered. */
    public long received(Ingest.Stream stream) {
        return totals(stream).values().stream().mapToLong(Long::longValue).sum();
    }

    private double count(Ingest.Stream stream, String outcome) {
        return totals(stream).getOrDefault(outcome, 0L);
    }

    /** Sums over every local partition's store. */
    Map<String, Long> totals(Ingest.Stream stream) {
        return StoreTotals.sum(stores.apply(stream.countsStore()));
    }
}
