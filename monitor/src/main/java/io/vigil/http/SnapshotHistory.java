package io.vigil.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.events.MetricSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded in-memory history of metric snapshots: one ring of at most {@code capacity} points per
 * snapshot key ({@link MetricSnapshot#key()}), for at most {@code maxKeys} keys. It is fed the latest
 * snapshots over and over ({@link #record}); a snapshot for the same {@code window_end} as the newest
 * point replaces it (the window was recomputed), a later one is appended, an unchanged one is ignored.
 * So each series has one point per window end in event time, whatever the polling rate.
 *
 * <p>Reliability-diagram bins are not kept (the page draws the current diagram only). Keys beyond
 * {@code maxKeys} are dropped and logged once. Memory is about 56 bytes per point. Thread-safe.
 */
public final class SnapshotHistory {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotHistory.class);

    /** Default points per key. */
    public static final int DEFAULT_CAPACITY = 200;
    /** Default number of keys. */
    public static final int DEFAULT_MAX_KEYS = 20_000;

    /** One point of a series; {@code lower}, {@code upper} and {@code pValue} are null when absent. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Point(
            @JsonProperty("window_end") Instant windowEnd,
            @JsonProperty("computed_at") Instant computedAt,
            Double estimate,
            Double lower,
            Double upper,
            long n,
            @JsonProperty("p_value") Double pValue,
            MetricSnapshot.Status status) {}

    private final int capacity;
    private final int maxKeys;
    private final Map<String, Ring> rings = new HashMap<>();
    private final AtomicBoolean warnedFull = new AtomicBoolean();

    /** A history of {@link #DEFAULT_CAPACITY} points for up to {@link #DEFAULT_MAX_KEYS} keys. */
    public SnapshotHistory() {
        this(DEFAULT_CAPACITY, DEFAULT_MAX_KEYS);
    }

    /**
     * @param capacity points kept per key, at least 2
     * @param maxKeys  keys kept, at least 1
     */
    public SnapshotHistory(int capacity, int maxKeys) {
        if (capacity < 2 || maxKeys < 1) {
            throw new IllegalArgumentException(
                    "capacity must be >= 2 and maxKeys >= 1, were " + capacity + " and " + maxKeys);
        }
        this.capacity = capacity;
        this.maxKeys = maxKeys;
    }

    /** Whether a metric is kept: everything except the per-bin reliability series. */
    public static boolean tracked(String metric) {
        return !metric.startsWith("reliability_observed") && !metric.startsWith("reliability_mean_score");
    }

    /** Adds the snapshots that are new since the last call. */
    public synchronized void record(Collection<MetricSnapshot> snapshots) {
        for (MetricSnapshot s : snapshots) {
            if (!tracked(s.metric())) {
                continue;
            }
            Ring ring = rings.get(s.key());
            if (ring == null) {
                if (rings.size() >= maxKeys) {
                    if (warnedFull.compareAndSet(false, true)) {
                        LOG.warn("Snapshot history holds {} keys, its limit; later keys have no history", maxKeys);
                    }
                    continue;
                }
                ring = new Ring(capacity);
                rings.put(s.key(), ring);
            }
            ring.offer(s);
        }
    }

    /** The points of one key, oldest first; empty when the key is unknown. */
    public synchronized List<Point> series(String key) {
        Ring ring = rings.get(key);
        return ring == null ? List.of() : ring.points();
    }

    /** Whether the key has at least one point. */
    public synchronized boolean contains(String key) {
        return rings.containsKey(key);
    }

    /** Every key whose snapshot key starts with {@code prefix} (e.g. {@code model|version|dim|value|}). */
    public synchronized Map<String, List<Point>> seriesWithPrefix(String prefix) {
        Map<String, List<Point>> out = new HashMap<>();
        rings.forEach((k, r) -> {
            if (k.startsWith(prefix)) {
                out.put(k, r.points());
            }
        });
        return out;
    }

    /** Number of keys with a history. */
    public synchronized int size() {
        return rings.size();
    }

    /** Points per key at most. */
    public int capacity() {
        return capacity;
    }

    /** A fixed-capacity ring of points in primitive arrays (no object per point). */
    private static final class Ring {
        private static final long NONE = Long.MIN_VALUE;
        private final long[] windowEnd;
        private final long[] computedAt;
        private final double[] estimate;
        private final double[] lower;
        private final double[] upper;
        private final double[] pValue;
        private final long[] n;
        private final boolean[] isFinal;
        private int head; // index of the oldest point
        private int size;

        Ring(int capacity) {
            windowEnd = new long[capacity];
            computedAt = new long[capacity];
            estimate = new double[capacity];
            lower = new double[capacity];
            upper = new double[capacity];
            pValue = new double[capacity];
            n = new long[capacity];
            isFinal = new boolean[capacity];
        }

        void offer(MetricSnapshot s) {
            long end = s.windowEnd() == null ? NONE : s.windowEnd().toEpochMilli();
            long computed = s.computedAt().toEpochMilli();
            int slot;
            if (size > 0) {
                int newest = (head + size - 1) % windowEnd.length;
                if (computedAt[newest] == computed && windowEnd[newest] == end) {
                    return;
                }
                if (end != NONE && windowEnd[newest] == end) {
                    slot = newest;
                } else if (end != NONE && windowEnd[newest] != NONE && end < windowEnd[newest]) {
                    return; // an older window end than we already show: out of order, keep the series monotonic
                } else {
                    slot = append();
                }
            } else {
                slot = append();
            }
            windowEnd[slot] = end;
            computedAt[slot] = computed;
            estimate[slot] = value(s.estimate());
            lower[slot] = value(s.lower());
            upper[slot] = value(s.upper());
            pValue[slot] = value(s.pValue());
            n[slot] = s.n();
            isFinal[slot] = s.status() == MetricSnapshot.Status.FINAL;
        }

        private int append() {
            if (size < windowEnd.length) {
                return (head + size++) % windowEnd.length;
            }
            int slot = head;
            head = (head + 1) % windowEnd.length;
            return slot;
        }

        List<Point> points() {
            List<Point> out = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                int j = (head + i) % windowEnd.length;
                out.add(new Point(
                        windowEnd[j] == NONE ? null : Instant.ofEpochMilli(windowEnd[j]),
                        Instant.ofEpochMilli(computedAt[j]),
                        boxed(estimate[j]),
                        boxed(lower[j]),
                        boxed(upper[j]),
                        n[j],
                        boxed(pValue[j]),
                        isFinal[j] ? MetricSnapshot.Status.FINAL : MetricSnapshot.Status.PROVISIONAL));
            }
            return out;
        }

        private static double value(Double d) {
            return d == null ? Double.NaN : d;
        }

        private static Double boxed(double d) {
            return Double.isNaN(d) || Double.isInfinite(d) ? null : d;
        }
    }

    @Override
    public String toString() {
        return "SnapshotHistory[" + Objects.toString(size()) + " keys, capacity " + capacity + "]";
    }
}
