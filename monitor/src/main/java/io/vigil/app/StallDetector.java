package io.vigil.app;

import java.time.Duration;

/**
 * Whether processing is stuck: input is waiting (lag above 0) and the application's committed input
 * offsets have not moved for a while. Idle (no lag) is never stuck. Pure: fed samples with their times,
 * so that both verdicts can be shown without a broker. Thread-safe.
 */
final class StallDetector {
    private final long timeoutMillis;
    private long lastCommitted = Long.MIN_VALUE;
    private long lastProgressAt = Long.MIN_VALUE;
    private long lastLag;

    /** @param timeout how long committed offsets may stand still while input waits before it counts as stuck */
    StallDetector(Duration timeout) {
        this.timeoutMillis = timeout.toMillis();
    }

    /**
     * One sample of the input topics.
     *
     * @param nowMillis       when it was taken
     * @param lag             records waiting: read-committed end offsets less committed offsets, summed
     * @param committedOffset committed offsets summed over the input partitions
     */
    synchronized void observe(long nowMillis, long lag, long committedOffset) {
        // Progress: offsets moved, nothing waits, or nothing waited at the last sample (input just arrived).
        if (lastProgressAt == Long.MIN_VALUE || committedOffset != lastCommitted || lag <= 0 || lastLag <= 0) {
            lastProgressAt = nowMillis;
        }
        lastCommitted = committedOffset;
        lastLag = lag;
    }

    /** How long input has waited without progress, or zero when it has not (or nothing waits). */
    synchronized Duration stalledFor(long nowMillis) {
        if (lastProgressAt == Long.MIN_VALUE || lastLag <= 0) {
            return Duration.ZERO;
        }
        return Duration.ofMillis(Math.max(0, nowMillis - lastProgressAt));
    }

    /** Whether input has waited without progress for at least the timeout. */
    synchronized boolean stalled(long nowMillis) {
        return stalledFor(nowMillis).toMillis() >= timeoutMillis;
    }

    /** Records waiting at the last sample. */
    synchronized long lag() {
        return lastLag;
    }
}
