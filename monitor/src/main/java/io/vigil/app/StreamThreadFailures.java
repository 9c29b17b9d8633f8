package io.vigil.app;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What Vigil does when a stream thread dies: it starts a new one (a broker that went away, a fenced
 * transaction), unless a new thread would fail the same way. Then it stops Kafka Streams, the
 * client goes to ERROR, {@code /health/ready} answers 503 and {@code vigil run} exits with status 1, so
 * the supervisor (systemd, Kubernetes) restarts it and the ops team sees a restart count instead of
 * a monitor that looks alive and counts nothing.
 *
 * <p>A new thread would fail the same way when the failure is a {@link VirtualMachineError} (out of
 * memory) or a {@link LinkageError} (a library that cannot initialise on this JVM), or when threads
 * have failed more than {@value #MAX_REPLACEMENTS} times within {@link #WINDOW}.
 */
final class StreamThreadFailures implements StreamsUncaughtExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(StreamThreadFailures.class);

    static final int MAX_REPLACEMENTS = 5;
    static final Duration WINDOW = Duration.ofMinutes(10);

    private final Clock clock;
    private final Deque<Instant> replaced = new ArrayDeque<>();

    StreamThreadFailures(Clock clock) {
        this.clock = clock;
    }

    @Override
    public synchronized StreamThreadExceptionResponse handle(Throwable failure) {
        Throwable fatal = fatalCause(failure);
        if (fatal != null) {
            LOG.error(
                    "Stream thread failed with {}: a new thread would fail the same way; stopping Kafka Streams",
                    fatal.getClass().getName(),
                    failure);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        Instant now = clock.instant();
        while (!replaced.isEmpty() && !replaced.peekFirst().isAfter(now.minus(WINDOW))) {
            replaced.removeFirst();
        }
        if (replaced.size() >= MAX_REPLACEMENTS) {
            LOG.error(
                    "Stream thread failed again after {} replacements within {} min; stopping Kafka Streams",
                    replaced.size(),
                    WINDOW.toMinutes(),
                    failure);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        replaced.addLast(now);
        LOG.error(
                "Stream thread failed; replacing it ({} of {} replacements within {} min)",
                replaced.size(),
                MAX_REPLACEMENTS,
                WINDOW.toMinutes(),
                failure);
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    /** The first error in the cause chain that a new thread cannot escape, or null. */
    static Throwable fatalCause(Throwable failure) {
        Throwable t = failure;
        for (int depth = 0; t != null && depth < 32; depth++, t = t.getCause()) {
            if (t instanceof VirtualMachineError || t instanceof LinkageError) {
                return t;
            }
        }
        return null;
    }
}
