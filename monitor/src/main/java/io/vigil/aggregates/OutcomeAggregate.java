package io.vigil.aggregates;

import io.vigil.state.Codec;
import io.vigil.stats.BinaryOutcomeStats;
import io.vigil.stats.ClusteredVariance;
import io.vigil.stats.ObservedExpectedSums;
import io.vigil.stats.StudyPair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The labelled aggregate of one group (model, version, slice) and cohort day, or of a window of
 * them: {@link BinaryOutcomeStats} of the labelled outcomes (AUC, calibration; its own threshold is
 * unused), the confusion counts taken at each prediction's own threshold, predictions registered
 * per predicted class (the coverage denominators) and a histogram of first-label delays.
 *
 * <p>Partial aggregates (phase one of {@link TwoPhaseAggregation}) may carry retractions whose
 * outcome was added in an earlier partial: they are kept as pending removals and applied when the
 * partial is merged into the daily bucket, after the partial's additions. Every other part is a
 * signed count, so merging is additive. Label delays are never retracted.
 *
 * <p>Delay histogram: bin 0 holds delays under 1 s; bin b >= 1 holds [2^((b-1)/8), 2^(b/8)) seconds,
 * the last bin everything above (about 2^25 s, more than a year). A quantile is reported as the
 * geometric centre of its bin, so its relative error is at most 2^(1/16) - 1, about 4.4%.
 *
 * <p>Within-subject pairs ({@link StudyPairChange}): signed counts per (earlier cohort day, {@link StudyPair}),
 * in the bucket of the later study's day, for the patient-wise intervals of {@link ClusteredVariance}; a
 * window counts a pair when its earlier day is in the window too ({@link #pairsFrom}). Counts are signed, so
 * a retraction merged before its addition cancels it whichever partial sees it first.
 *
 * <p>Labels at the outcome CUSUM's label age: the {@link ObservedExpectedSums} of the cases whose first label was
 * observed within the age the performance stage passes to {@link #apply(OutcomeChange, long)}, signed like the rest.
 *
 * <p>Serial format 3 (format 2, written before the label-age sums were kept, is read with them empty; format 1,
 * before pairs were kept, also without pairs).
 */
public final class OutcomeAggregate {
    /** Unused by the metrics read from the stats (AUC, calibration); confusion counts are kept below. */
    static final double STATS_THRESHOLD = 0.5;

    static final int DELAY_BINS = 202;
    private static final int DELAY_BINS_PER_OCTAVE = 8;
    private static final int FORMAT_WITHOUT_PAIRS = 1;
    private static final int FORMAT_WITHOUT_LABEL_AGE = 2;
    private static final int FORMAT = 3;

    private final BinaryOutcomeStats stats;
    /** (score, label) pairs retracted here whose addition this partial has not seen. */
    private final List<double[]> pendingRemovals = new ArrayList<>();

    private long tp;
    private long fp;
    private long tn;
    private long fn;
    private long predictedPositive;
    private long predictedNegative;
    private final long[] delays = new long[DELAY_BINS];
    /** Within-subject pairs: signed count per (earlier cohort day, pair); no zero entries. */
    private final TreeMap<PairKey, Long> pairs = new TreeMap<>();
    /** The labelled cases whose first label was observed within the outcome CUSUM's label age. */
    private ObservedExpectedSums atLabelAge = new ObservedExpectedSums();

    /** A pair of studies with the earlier study's cohort day; a null pair is the first key of its day. */
    private record PairKey(long earlierDay, StudyPair pair) implements Comparable<PairKey> {
        @Override
        public int compareTo(PairKey o) {
            int c = Long.compare(earlierDay, o.earlierDay);
            if (c != 0 || pair == o.pair) {
                return c;
            }
            if (pair == null || o.pair == null) {
                return pair == null ? -1 : 1;
            }
            return pair.compareTo(o.pair);
        }
    }

    public OutcomeAggregate() {
        this(new BinaryOutcomeStats(STATS_THRESHOLD));
    }

    private OutcomeAggregate(BinaryOutcomeStats stats) {
        this.stats = stats;
    }

    /** Applies one change (see {@link OutcomeChange}), without the label-age sums. */
    public void apply(OutcomeChange c) {
        apply(c, -1);
    }

    /**
     * Applies one change; an outcome whose label age is at most {@code labelAgeSeconds} also enters (or leaves) the
     * label-age sums ({@link #atLabelAge()}). A negative {@code labelAgeSeconds} keeps none.
     */
    public void apply(OutcomeChange c, long labelAgeSeconds) {
        if (c.sign() != 0 && c.labelAgeSeconds() >= 0 && c.labelAgeSeconds() <= labelAgeSeconds) {
            atLabelAge.add(c.score(), c.label(), c.sign());
        }
        boolean predicted = c.predictedPositive();
        if (c.sign() == 0) {
            if (predicted) {
                predictedPositive++;
            } else {
                predictedNegative++;
            }
            return;
        }
        count(predicted, c.label(), c.sign());
        if (c.sign() > 0) {
            stats.add(c.score(), c.label());
            if (c.labelDelaySeconds() >= 0) {
                delays[delayBin(c.labelDelaySeconds())]++;
            }
        } else {
            try {
                stats.remove(c.score(), c.label());
            } catch (IllegalStateException e) {
                pendingRemovals.add(new double[] {c.score(), c.label()});
            }
        }
    }

    /** Applies one within-subject pair change (see {@link StudyPairChange}). */
    public void apply(StudyPairChange c) {
        addPair(new PairKey(c.earlierDay(), c.pair()), c.sign());
    }

    private void addPair(PairKey key, long count) {
        if (count == 0) {
            return;
        }
        pairs.merge(key, count, (a, b) -> a + b == 0 ? null : a + b);
    }

    /**
     * The pairs whose earlier study's cohort day is at or after {@code firstDay}, with positive counts: the
     * pairs of a window starting on that day (the later study is in a bucket of the window already).
     */
    public List<ClusteredVariance.Counted> pairsFrom(long firstDay) {
        List<ClusteredVariance.Counted> out = new ArrayList<>();
        for (Map.Entry<PairKey, Long> e :
                pairs.tailMap(new PairKey(firstDay, null), true).entrySet()) {
            if (e.getValue() > 0) {
                out.add(new ClusteredVariance.Counted(e.getKey().pair(), e.getValue()));
            }
        }
        return out;
    }

    /** Number of distinct pair entries held (for tests and sizing). */
    public int pairEntries() {
        return pairs.size();
    }

    private void count(boolean predicted, int label, long sign) {
        if (label == 1) {
            if (predicted) {
                tp += sign;
            } else {
                fn += sign;
            }
        } else if (predicted) {
            fp += sign;
        } else {
            tn += sign;
        }
    }

    /**
     * Adds {@code other} into this aggregate; its pending removals are applied after its additions.
     * A removal this aggregate cannot apply either (its bucket was dropped) stays pending here.
     */
    public void merge(OutcomeAggregate other) {
        stats.merge(other.stats);
        for (double[] r : other.pendingRemovals) {
            try {
                stats.remove(r[0], (int) r[1]);
            } catch (IllegalStateException e) {
                pendingRemovals.add(r.clone());
            }
        }
        tp += other.tp;
        fp += other.fp;
        tn += other.tn;
        fn += other.fn;
        predictedPositive += other.predictedPositive;
        predictedNegative += other.predictedNegative;
        for (int i = 0; i < DELAY_BINS; i++) {
            delays[i] += other.delays[i];
        }
        other.pairs.forEach(this::addPair);
        atLabelAge.merge(other.atLabelAge);
    }

    /** The labelled cases of this cohort (or window) whose first label arrived within the label age. Live view. */
    public ObservedExpectedSums atLabelAge() {
        return atLabelAge;
    }

    static int delayBin(long seconds) {
        if (seconds < 1) {
            return 0;
        }
        int b = 1 + (int) Math.floor(DELAY_BINS_PER_OCTAVE * Math.log(seconds) / Math.log(2));
        return Math.min(b, DELAY_BINS - 1);
    }

    /** Geometric centre of a delay bin, in seconds (0 for bin 0). */
    static double delayBinCentre(int bin) {
        return bin == 0 ? 0.0 : Math.pow(2, (bin - 0.5) / DELAY_BINS_PER_OCTAVE);
    }

    /** Labelled outcomes: AUC and calibration. Live view, do not mutate. */
    public BinaryOutcomeStats stats() {
        return stats;
    }

    public long tp() {
        return tp;
    }

    public long fp() {
        return fp;
    }

    public long tn() {
        return tn;
    }

    public long fn() {
        return fn;
    }

    public long labelled() {
        return tp + fp + tn + fn;
    }

    public long predictedPositive() {
        return predictedPositive;
    }

    public long predictedNegative() {
        return predictedNegative;
    }

    public long predicted() {
        return predictedPositive + predictedNegative;
    }

    public int pendingRemovals() {
        return pendingRemovals.size();
    }

    /** Number of first labels with a recorded delay. */
    public long delayCount() {
        return Arrays.stream(delays).sum();
    }

    /** The q-quantile of the first-label delay in seconds (lower quantile, bin centre), or NaN when none. */
    public double delayQuantile(double q) {
        long total = delayCount();
        if (total <= 0) {
            return Double.NaN;
        }
        long rank = Math.max(1L, (long) Math.ceil(q * total));
        long cumulative = 0;
        for (int i = 0; i < DELAY_BINS; i++) {
            cumulative += delays[i];
            if (cumulative >= rank) {
                return delayBinCentre(i);
            }
        }
        return delayBinCentre(DELAY_BINS - 1);
    }

    /** The stateless codec used by the two-phase aggregation. */
    public static final Codec<OutcomeAggregate> CODEC = new Codec<>() {
        @Override
        public OutcomeAggregate empty() {
            return new OutcomeAggregate();
        }

        @Override
        public void merge(OutcomeAggregate into, OutcomeAggregate from) {
            into.merge(from);
        }

        @Override
        public byte[] toBytes(OutcomeAggregate a) {
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
                DataOutputStream out = new DataOutputStream(bytes);
                out.writeByte(FORMAT);
                byte[] s = a.stats.toBytes();
                out.writeInt(s.length);
                out.write(s);
                out.writeInt(a.pendingRemovals.size());
                for (double[] r : a.pendingRemovals) {
                    out.writeDouble(r[0]);
                    out.writeByte((int) r[1]);
                }
                for (long v : new long[] {a.tp, a.fp, a.tn, a.fn, a.predictedPositive, a.predictedNegative}) {
                    out.writeLong(v);
                }
                int nonZero = 0;
                for (long d : a.delays) {
                    nonZero += d != 0 ? 1 : 0;
                }
                out.writeShort(nonZero);
                for (int i = 0; i < DELAY_BINS; i++) {
                    if (a.delays[i] != 0) {
                        out.writeShort(i);
                        out.writeLong(a.delays[i]);
                    }
                }
                out.writeInt(a.pairs.size());
                for (Map.Entry<PairKey, Long> e : a.pairs.entrySet()) {
                    StudyPair p = e.getKey().pair();
                    out.writeLong(e.getKey().earlierDay());
                    out.writeDouble(p.scoreA());
                    out.writeDouble(p.scoreB());
                    out.writeByte(p.flags());
                    out.writeLong(e.getValue());
                }
                byte[] age = a.atLabelAge.toBytes();
                out.writeInt(age.length);
                out.write(age);
                return bytes.toByteArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public OutcomeAggregate fromBytes(byte[] bytes) {
            try {
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
                int format = in.readUnsignedByte();
                if (format != FORMAT && format != FORMAT_WITHOUT_LABEL_AGE && format != FORMAT_WITHOUT_PAIRS) {
                    throw new IllegalArgumentException("unknown OutcomeAggregate format " + format);
                }
                byte[] s = new byte[in.readInt()];
                in.readFully(s);
                OutcomeAggregate a = new OutcomeAggregate(BinaryOutcomeStats.fromBytes(s));
                int removals = in.readInt();
                for (int i = 0; i < removals; i++) {
                    a.pendingRemovals.add(new double[] {in.readDouble(), in.readByte()});
                }
                a.tp = in.readLong();
                a.fp = in.readLong();
                a.tn = in.readLong();
                a.fn = in.readLong();
                a.predictedPositive = in.readLong();
                a.predictedNegative = in.readLong();
                int nonZero = in.readUnsignedShort();
                for (int i = 0; i < nonZero; i++) {
                    a.delays[in.readUnsignedShort()] = in.readLong();
                }
                if (format != FORMAT_WITHOUT_PAIRS) {
                    int pairs = in.readInt();
                    for (int i = 0; i < pairs; i++) {
                        long day = in.readLong();
                        StudyPair p = StudyPair.fromFlags(in.readDouble(), in.readDouble(), in.readUnsignedByte());
                        a.addPair(new PairKey(day, p), in.readLong());
                    }
                }
                if (format == FORMAT) {
                    byte[] age = new byte[in.readInt()];
                    in.readFully(age);
                    a.atLabelAge = ObservedExpectedSums.fromBytes(age);
                }
                if (in.available() > 0) {
                    throw new IllegalArgumentException("trailing bytes in OutcomeAggregate");
                }
                return a;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
}
