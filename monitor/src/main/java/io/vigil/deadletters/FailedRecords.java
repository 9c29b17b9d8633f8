package io.vigil.deadletters;

import io.vigil.topics.Input;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What Kafka Streams' exception handlers did with the records they were given, counted in this process
 * (the handlers cannot write to state stores): dead-lettered or dropped, by stage and reason, and the
 * ingest dead letters the broker refused even truncated, by input stream and reason (so ingest's
 * accounting can move them from dead-lettered to dropped). Thread-safe; monotone for the life of the process.
 */
public final class FailedRecords {
    /** Outcome of a handled failure. */
    public enum Outcome {
        DEAD_LETTERED("dead_lettered"),
        DROPPED("dropped");

        public final String label;

        Outcome(String label) {
            this.label = label;
        }
    }

    /** One counted series: stage (processing, production, serialization), outcome and reason code. */
    public record Key(String stage, Outcome outcome, String reason) {}

    private final Map<Key, AtomicLong> handled = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> refusedIngestDeadLetters = new ConcurrentHashMap<>();

    void count(String stage, Outcome outcome, String reason) {
        handled.computeIfAbsent(new Key(stage, outcome, reason), k -> new AtomicLong())
                .incrementAndGet();
    }

    void refusedIngestDeadLetter(Input stream, String reason) {
        refusedIngestDeadLetters
                .computeIfAbsent(stream.label + "/" + reason, k -> new AtomicLong())
                .incrementAndGet();
    }

    /** Failures handled so far, by stage, outcome and reason. */
    public Map<Key, Long> handled() {
        Map<Key, Long> out = new java.util.TreeMap<>(java.util.Comparator.comparing(Key::stage)
                .thenComparing(Key::outcome)
                .thenComparing(Key::reason));
        handled.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** Ingest dead letters of {@code stream} with {@code reason} that the broker refused and were dropped. */
    public long refusedIngestDeadLetters(Input stream, String reason) {
        AtomicLong n = refusedIngestDeadLetters.get(stream.label + "/" + reason);
        return n == null ? 0 : n.get();
    }
}
