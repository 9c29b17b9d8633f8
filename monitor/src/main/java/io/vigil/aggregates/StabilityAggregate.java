package io.vigil.aggregates;

import io.vigil.state.Codec;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the stability stage ({@code TemporalStability}) keeps per slice and UTC day: repeat pairs, decision flips among
 * them, a sparse histogram of the absolute score change, and the predictions skipped for lack of a
 * {@code subject_key}. Additive, so daily buckets merge into any window. Mutable, not thread-safe.
 *
 * <p>Score-change histogram: {@value #CHANGE_BINS} equal-width bins on [0, 1] (a change of exactly
 * 1 falls in the last), kept sparse because pairs are few; a quantile is the midpoint of the bin
 * holding the ceil(q n)-th smallest change, so it is within 1/(2 x {@value #CHANGE_BINS}) = 0.0005
 * of the exact order statistic.
 */
public final class StabilityAggregate {
    /** Bins of the score-change histogram on [0, 1]. */
    public static final int CHANGE_BINS = 1000;

    private static final byte FORMAT = 1;

    long pairs;
    long flips;
    long withoutSubject;
    final TreeMap<Integer, Long> changes = new TreeMap<>();

    public static StabilityAggregate empty() {
        return new StabilityAggregate();
    }

    /** Adds one repeat pair. */
    public void addPair(double absoluteChange, boolean flipped) {
        if (!(absoluteChange >= 0 && absoluteChange <= 1)) {
            throw new IllegalArgumentException("absolute score change must be in [0, 1], got " + absoluteChange);
        }
        pairs++;
        flips += flipped ? 1 : 0;
        changes.merge(Math.min(CHANGE_BINS - 1, (int) Math.floor(absoluteChange * CHANGE_BINS)), 1L, Long::sum);
    }

    /** Counts one prediction without a subject key. */
    public void addWithoutSubject() {
        withoutSubject++;
    }

    public void merge(StabilityAggregate from) {
        pairs += from.pairs;
        flips += from.flips;
        withoutSubject += from.withoutSubject;
        from.changes.forEach((b, n) -> changes.merge(b, n, Long::sum));
    }

    public long pairs() {
        return pairs;
    }

    public long flips() {
        return flips;
    }

    public long withoutSubject() {
        return withoutSubject;
    }

    /** The q-quantile of the absolute score change (see the class comment); NaN without pairs. */
    public double changeQuantile(double q) {
        if (!(q > 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile must be in (0, 1], got " + q);
        }
        if (pairs == 0) {
            return Double.NaN;
        }
        long rank = Math.max(1, (long) Math.ceil(q * pairs));
        long seen = 0;
        for (Map.Entry<Integer, Long> e : changes.entrySet()) {
            seen += e.getValue();
            if (seen >= rank) {
                return (e.getKey() + 0.5) / CHANGE_BINS;
            }
        }
        return (changes.lastKey() + 0.5) / CHANGE_BINS;
    }

    /** Binary form for state stores and the repartition topic. */
    public static final Codec<StabilityAggregate> CODEC = new Codec<>() {
        @Override
        public StabilityAggregate empty() {
            return StabilityAggregate.empty();
        }

        @Override
        public void merge(StabilityAggregate into, StabilityAggregate from) {
            into.merge(from);
        }

        @Override
        public byte[] toBytes(StabilityAggregate a) {
            ByteBuffer b = ByteBuffer.allocate(1 + 3 * 8 + 4 + 12 * a.changes.size())
                    .put(FORMAT)
                    .putLong(a.pairs)
                    .putLong(a.flips)
                    .putLong(a.withoutSubject)
                    .putInt(a.changes.size());
            a.changes.forEach((bin, n) -> b.putInt(bin).putLong(n));
            return b.array();
        }

        @Override
        public StabilityAggregate fromBytes(byte[] bytes) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            byte format = b.get();
            if (format != FORMAT) {
                throw new IllegalArgumentException("unknown stability aggregate format " + format);
            }
            StabilityAggregate a = new StabilityAggregate();
            a.pairs = b.getLong();
            a.flips = b.getLong();
            a.withoutSubject = b.getLong();
            int bins = b.getInt();
            if (bins < 0 || bytes.length != 1 + 3 * 8 + 4 + 12L * bins) {
                throw new IllegalArgumentException(
                        "corrupt stability aggregate: " + bins + " bins in " + bytes.length + " bytes");
            }
            for (int i = 0; i < bins; i++) {
                a.changes.put(b.getInt(), b.getLong());
            }
            return a;
        }
    };
}
