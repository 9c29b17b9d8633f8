package io.vigil.sim;

import java.util.concurrent.locks.LockSupport;

/**
 * Replays events no faster than {@code speed} simulated seconds per wall-clock second: the event at
 * simulated time {@code t} is passed on no earlier than {@code wallStart + (t - firstEventTime) / speed}.
 * Waits park the thread until that scheduled instant (no busy loop), and only when the schedule is at
 * least {@link #MIN_WAIT_NANOS} ahead, so events are released in small bursts. Speed 0 passes events
 * through unpaced.
 */
public final class PacedSink implements SimSink {
    /** Shortest wait worth parking for, in nanoseconds (5 ms). */
    public static final long MIN_WAIT_NANOS = 5_000_000L;

    /** A monotonic clock that can wait; {@link #system()} parks the calling thread. */
    public interface Clock {
        /** Monotonic time in nanoseconds. */
        long nanoTime();

        /** Waits about {@code nanos} nanoseconds. */
        void waitNanos(long nanos);

        /** {@link System#nanoTime()} and {@link LockSupport#parkNanos(long)}. */
        static Clock system() {
            return new Clock() {
                @Override
                public long nanoTime() {
                    return System.nanoTime();
                }

                @Override
                public void waitNanos(long nanos) {
                    LockSupport.parkNanos(nanos);
                }
            };
        }
    }

    private final SimSink delegate;
    private final double speed;
    private final Clock clock;
    private long firstEventMs = Long.MIN_VALUE;
    private long wallStartNanos;

    /** Paces {@code delegate} at {@code speed} simulated seconds per wall second (0 = unpaced) on the system clock. */
    public PacedSink(SimSink delegate, double speed) {
        this(delegate, speed, Clock.system());
    }

    /** As {@link #PacedSink(SimSink, double)} on the given clock. */
    public PacedSink(SimSink delegate, double speed, Clock clock) {
        if (!(speed >= 0) || Double.isInfinite(speed)) {
            throw new IllegalArgumentException("speed must be a finite number >= 0, was " + speed);
        }
        this.delegate = delegate;
        this.speed = speed;
        this.clock = clock;
    }

    @Override
    public void accept(SimEvent event) {
        if (speed > 0) {
            long eventMs = event.time().toEpochMilli();
            if (firstEventMs == Long.MIN_VALUE) {
                firstEventMs = eventMs;
                wallStartNanos = clock.nanoTime();
            }
            long due = wallStartNanos + (long) ((eventMs - firstEventMs) * 1_000_000.0 / speed);
            // Park until the scheduled instant; parkNanos may return early, so re-check the clock.
            for (long ahead = due - clock.nanoTime(); ahead >= MIN_WAIT_NANOS; ahead = due - clock.nanoTime()) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new IllegalStateException("interrupted while pacing");
                }
                clock.waitNanos(ahead);
            }
        }
        delegate.accept(event);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
