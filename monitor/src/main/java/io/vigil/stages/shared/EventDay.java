package io.vigil.stages.shared;

import java.time.Instant;

/**
 * The UTC day an event belongs to, counted from 1970-01-01: the unit in which every stage buckets its
 * aggregates (a slice's day) and ends its windows (the UTC midnight after the latest day).
 */
public final class EventDay {
    public static final long SECONDS_PER_DAY = 86_400L;
    public static final long MS_PER_DAY = SECONDS_PER_DAY * 1_000L;

    private EventDay() {}

    /** The day of an instant. */
    public static long of(Instant at) {
        return Math.floorDiv(at.getEpochSecond(), SECONDS_PER_DAY);
    }

    /** The day of a time in milliseconds since the epoch. */
    public static long ofEpochMilli(long epochMs) {
        return Math.floorDiv(epochMs, MS_PER_DAY);
    }

    /** The exclusive end of a window whose latest day is {@code day}: the next UTC midnight. */
    public static Instant endOf(long day) {
        return Instant.ofEpochSecond((day + 1) * SECONDS_PER_DAY);
    }
}
