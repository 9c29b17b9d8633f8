package io.vigil.aggregates;

import io.vigil.events.ModelRef;
import io.vigil.events.Prediction;
import io.vigil.events.ReferenceProfile;
import io.vigil.state.Codec;
import io.vigil.stats.DistributionDrift;
import io.vigil.stats.ExactSum;
import io.vigil.stats.KllSketches;
import io.vigil.stats.ReferenceDistribution;
import io.vigil.stats.ValueHistogram;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The mergeable state of the drift stage for one slice and day (and, merged, for one window): counts,
 * the score histogram (at most {@link DistributionDrift#MAX_BUCKETS} buckets), score / uncertainty sums,
 * abstentions, one histogram and sum per numeric feature, category counts per attribute, and late
 * records. For the {@code all} slice it also keeps the acquisition values seen (scanner, scanner model,
 * software), which a burn-in reference needs. Mutable, not thread-safe; one instance belongs to one task.
 *
 * <h2>Feature histograms: at most {@value #FEATURE_MAX_BUCKETS} buckets</h2>
 * A slice-day holds up to {@value #MAX_FEATURES} feature histograms next to the score histogram. A
 * bucket costs 16 bytes on the heap and 2-4 serialised; {@value #FEATURE_MAX_BUCKETS} buckets keep the
 * finest resolution (2^-7 of a value) over 8 octaves (for example a mask volume from 10 to 2,560 ml), and
 * a wider feature loses one bit of resolution per doubling of its range. Discrete features (kVp, slice
 * thickness) use one bucket per value. Histograms and sums are exact, so an aggregate is the same bits
 * for any order and grouping of its predictions.
 *
 * <h2>Bounds</h2>
 * At most {@value #MAX_FEATURES} feature names (the first seen, kept through merges), at most
 * {@value #MAX_ATTRIBUTES} attribute names with at most {@value #MAX_CATEGORIES} categories each
 * (later categories count as {@code other}), at most {@value #MAX_ACQUISITION_VALUES} acquisition
 * values per kind. The missing count of a feature is the predictions without it:
 * {@code count - feature n}.
 */
public final class DriftAggregate {
    /** The most buckets of a feature histogram; see the class comment. */
    public static final int FEATURE_MAX_BUCKETS = 1024;

    public static final int MAX_FEATURES = 32;
    public static final int MAX_ATTRIBUTES = 16;
    public static final int MAX_CATEGORIES = 64;
    public static final int MAX_ACQUISITION_VALUES = 256;
    /** Bins of the reference decile distributions. */
    public static final int BINS = ReferenceDistribution.DEFAULT_BINS;

    /**
     * Stored form 3 holds {@link ValueHistogram}s and {@link ExactSum}s. Form 2 (KLL sketches, exact sums)
     * and form 1 (KLL sketches, double sums) are still read, their sketches converted.
     */
    private static final byte FORMAT = 3;

    private static final byte FORMAT_KLL_EXACT_SUMS = 2;

    private static final byte FORMAT_KLL_DOUBLE_SUMS = 1;

    /**
     * One numeric feature: its histogram and the exact sum and sum of squares of its values. A square
     * beyond the largest double (|value| above about 1.3e154) is added as the largest double.
     */
    public static final class FeatureState {
        final ValueHistogram histogram;
        final ExactSum sum = new ExactSum();
        final ExactSum sumSquares = new ExactSum();

        FeatureState(ValueHistogram histogram) {
            this.histogram = histogram;
        }

        public ValueHistogram histogram() {
            return histogram;
        }

        public long n() {
            return histogram.n();
        }

        public double sum() {
            return sum.value();
        }

        public double sumSquares() {
            return sumSquares.value();
        }
    }

    long count;
    long positives;
    final ValueHistogram score;
    final ExactSum scoreSum = new ExactSum();
    final ExactSum scoreSumSquares = new ExactSum();
    long uncertaintyN;
    final ExactSum uncertaintySum = new ExactSum();
    final ExactSum uncertaintySumSquares = new ExactSum();
    long abstainedN;
    long abstentions;
    long late;
    final Map<String, FeatureState> features = new LinkedHashMap<>();
    final Map<String, Map<String, Long>> attributes = new LinkedHashMap<>();
    final Set<String> scanners = new TreeSet<>();
    final Set<String> scannerModels = new TreeSet<>();
    final Set<String> software = new TreeSet<>();

    private DriftAggregate(ValueHistogram score) {
        this.score = score;
    }

    /** An empty aggregate. */
    public static DriftAggregate empty() {
        return new DriftAggregate(DistributionDrift.newHistogram());
    }

    /**
     * Adds one prediction. Predicted positive follows the prediction's own threshold unless
     * {@code threshold} is given.
     *
     * @param trackAcquisition whether to record the scanner, scanner model and software (the {@code all} slice)
     */
    public void add(Prediction p, Double threshold, boolean trackAcquisition) {
        count++;
        if (threshold == null ? p.predictedPositive() : p.score() >= threshold) {
            positives++;
        }
        score.update(p.score());
        scoreSum.add(p.score());
        scoreSumSquares.add(p.score() * p.score());
        if (p.uncertainty() != null) {
            uncertaintyN++;
            uncertaintySum.add(p.uncertainty());
            uncertaintySumSquares.add(p.uncertainty() * p.uncertainty());
        }
        if (p.abstained() != null) {
            abstainedN++;
            abstentions += p.abstained() ? 1 : 0;
        }
        for (Map.Entry<String, Double> f : p.features().entrySet()) {
            FeatureState s = feature(f.getKey());
            if (s != null) {
                double v = f.getValue();
                s.histogram.update(v);
                s.sum.add(v);
                s.sumSquares.add(Math.min(v * v, Double.MAX_VALUE));
            }
        }
        for (Map.Entry<String, String> a : p.attributes().entrySet()) {
            addCategory(a.getKey(), a.getValue(), 1);
        }
        if (trackAcquisition) {
            String model = p.scanner().manufacturer() + " " + p.scanner().model();
            addBounded(scanners, p.site() + "/" + p.scanner().id());
            addBounded(scannerModels, model);
            addBounded(software, model + " " + p.scanner().softwareVersion());
        }
    }

    /** Counts one prediction that arrived after the grace period and was not aggregated. */
    public void addLate() {
        late++;
    }

    private FeatureState feature(String name) {
        FeatureState s = features.get(name);
        if (s == null && features.size() < MAX_FEATURES) {
            s = new FeatureState(new ValueHistogram(FEATURE_MAX_BUCKETS));
            features.put(name, s);
        }
        return s;
    }

    private void addCategory(String attribute, String category, long n) {
        Map<String, Long> counts = attributes.get(attribute);
        if (counts == null) {
            if (attributes.size() >= MAX_ATTRIBUTES) {
                return;
            }
            counts = new TreeMap<>();
            attributes.put(attribute, counts);
        }
        String c = counts.containsKey(category) || counts.size() < MAX_CATEGORIES ? category : "other";
        counts.merge(c, n, Long::sum);
    }

    private static void addBounded(Set<String> set, String value) {
        if (set.size() < MAX_ACQUISITION_VALUES) {
            set.add(value);
        }
    }

    /** Adds {@code from} into this aggregate; {@code from} is unchanged. */
    public void merge(DriftAggregate from) {
        count += from.count;
        positives += from.positives;
        score.merge(from.score);
        scoreSum.merge(from.scoreSum);
        scoreSumSquares.merge(from.scoreSumSquares);
        uncertaintyN += from.uncertaintyN;
        uncertaintySum.merge(from.uncertaintySum);
        uncertaintySumSquares.merge(from.uncertaintySumSquares);
        abstainedN += from.abstainedN;
        abstentions += from.abstentions;
        late += from.late;
        for (Map.Entry<String, FeatureState> e : from.features.entrySet()) {
            FeatureState s = feature(e.getKey());
            if (s != null) {
                s.histogram.merge(e.getValue().histogram);
                s.sum.merge(e.getValue().sum);
                s.sumSquares.merge(e.getValue().sumSquares);
            }
        }
        from.attributes.forEach((a, counts) -> counts.forEach((c, n) -> addCategory(a, c, n)));
        from.scanners.forEach(v -> addBounded(scanners, v));
        from.scannerModels.forEach(v -> addBounded(scannerModels, v));
        from.software.forEach(v -> addBounded(software, v));
    }

    public long count() {
        return count;
    }

    public long positives() {
        return positives;
    }

    /** The score histogram; callers must not update it. */
    public ValueHistogram score() {
        return score;
    }

    /** The exact sum of the scores, correctly rounded: the same for any order of adds and merges. */
    public double scoreSum() {
        return scoreSum.value();
    }

    public double scoreSumSquares() {
        return scoreSumSquares.value();
    }

    public long uncertaintyN() {
        return uncertaintyN;
    }

    public double uncertaintySum() {
        return uncertaintySum.value();
    }

    public double uncertaintySumSquares() {
        return uncertaintySumSquares.value();
    }

    public long abstainedN() {
        return abstainedN;
    }

    public long abstentions() {
        return abstentions;
    }

    public long late() {
        return late;
    }

    /** Feature states by name (read-only use). */
    public Map<String, FeatureState> features() {
        return java.util.Collections.unmodifiableMap(features);
    }

    /** Category counts by attribute (read-only use). */
    public Map<String, Map<String, Long>> attributes() {
        return java.util.Collections.unmodifiableMap(attributes);
    }

    /**
     * A reference profile of everything this aggregate holds.
     *
     * @throws IllegalStateException when the aggregate holds no prediction
     */
    public ReferenceProfile toProfile(
            ModelRef model,
            ReferenceProfile.Source source,
            Instant createdAt,
            ReferenceProfile.BurnIn burnIn,
            Double threshold,
            ReferenceProfile.Labelled labelled) {
        if (count == 0) {
            throw new IllegalStateException("no predictions: cannot build a reference profile");
        }
        Map<String, ReferenceProfile.Feature> fs = new TreeMap<>();
        features.forEach((name, s) -> {
            if (s.n() > 0) {
                fs.put(
                        name,
                        new ReferenceProfile.Feature(
                                ReferenceProfile.Distribution.of(
                                        ReferenceDistribution.fromHistogram(s.histogram, BINS)),
                                count - s.n()));
            }
        });
        Map<String, Map<String, Long>> as = new TreeMap<>();
        attributes.forEach((a, c) -> as.put(a, Map.copyOf(c)));
        return new ReferenceProfile(
                model,
                source,
                createdAt,
                count,
                burnIn,
                threshold,
                ReferenceProfile.Distribution.of(ReferenceDistribution.fromHistogram(score, BINS)),
                positives,
                uncertaintyN == 0
                        ? null
                        : new ReferenceProfile.Mean(uncertaintySum.value() / uncertaintyN, uncertaintyN),
                abstainedN == 0 ? null : new ReferenceProfile.Proportion(abstentions, abstainedN),
                fs,
                as,
                new ReferenceProfile.Known(scanners, scannerModels, software),
                labelled);
    }

    /** Binary form for state stores and the repartition topic. */
    public static final Codec<DriftAggregate> CODEC = new Codec<>() {
        @Override
        public DriftAggregate empty() {
            return DriftAggregate.empty();
        }

        @Override
        public void merge(DriftAggregate into, DriftAggregate from) {
            into.merge(from);
        }

        @Override
        public byte[] toBytes(DriftAggregate a) {
            return a.toBytes();
        }

        @Override
        public DriftAggregate fromBytes(byte[] bytes) {
            return DriftAggregate.fromBytes(bytes);
        }
    };

    byte[] toBytes() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(FORMAT);
            out.writeLong(count);
            out.writeLong(positives);
            score.write(out);
            scoreSum.write(out);
            scoreSumSquares.write(out);
            out.writeLong(uncertaintyN);
            uncertaintySum.write(out);
            uncertaintySumSquares.write(out);
            out.writeLong(abstainedN);
            out.writeLong(abstentions);
            out.writeLong(late);
            out.writeInt(features.size());
            for (Map.Entry<String, FeatureState> e : features.entrySet()) {
                out.writeUTF(e.getKey());
                e.getValue().histogram.write(out);
                e.getValue().sum.write(out);
                e.getValue().sumSquares.write(out);
            }
            out.writeInt(attributes.size());
            for (Map.Entry<String, Map<String, Long>> e : attributes.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue().size());
                for (Map.Entry<String, Long> c : e.getValue().entrySet()) {
                    out.writeUTF(c.getKey());
                    out.writeLong(c.getValue());
                }
            }
            for (Set<String> set : java.util.List.of(scanners, scannerModels, software)) {
                out.writeInt(set.size());
                for (String v : set) {
                    out.writeUTF(v);
                }
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static DriftAggregate fromBytes(byte[] bytes) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
            int format = in.readByte();
            if (format != FORMAT && format != FORMAT_KLL_EXACT_SUMS && format != FORMAT_KLL_DOUBLE_SUMS) {
                throw new IllegalArgumentException("unknown drift aggregate format " + format);
            }
            boolean exact = format != FORMAT_KLL_DOUBLE_SUMS;
            boolean kll = format != FORMAT;
            long count = in.readLong();
            long positives = in.readLong();
            DriftAggregate a = new DriftAggregate(readHistogram(in, kll, DistributionDrift.MAX_BUCKETS));
            a.count = count;
            a.positives = positives;
            readSum(in, exact, a.scoreSum);
            readSum(in, exact, a.scoreSumSquares);
            a.uncertaintyN = in.readLong();
            readSum(in, exact, a.uncertaintySum);
            readSum(in, exact, a.uncertaintySumSquares);
            a.abstainedN = in.readLong();
            a.abstentions = in.readLong();
            a.late = in.readLong();
            int nf = in.readInt();
            for (int i = 0; i < nf; i++) {
                String name = in.readUTF();
                FeatureState s = new FeatureState(readHistogram(in, kll, FEATURE_MAX_BUCKETS));
                readSum(in, exact, s.sum);
                readSum(in, exact, s.sumSquares);
                a.features.put(name, s);
            }
            int na = in.readInt();
            for (int i = 0; i < na; i++) {
                String name = in.readUTF();
                int nc = in.readInt();
                Map<String, Long> counts = new TreeMap<>();
                for (int j = 0; j < nc; j++) {
                    counts.put(in.readUTF(), in.readLong());
                }
                a.attributes.put(name, counts);
            }
            for (Set<String> set : java.util.List.of(a.scanners, a.scannerModels, a.software)) {
                int n = in.readInt();
                for (int i = 0; i < n; i++) {
                    set.add(in.readUTF());
                }
            }
            return a;
        } catch (IOException e) {
            throw new IllegalArgumentException("corrupt drift aggregate", e);
        }
    }

    /**
     * Reads one sum into {@code into}: an exact sum (form 2), or a double (form 1) taken as one term; a form-1
     * sum that had overflowed (squares of values beyond 1e154) is read as the largest double of its sign.
     */
    private static void readSum(DataInputStream in, boolean exact, ExactSum into) throws IOException {
        if (exact) {
            into.merge(ExactSum.read(in));
        } else {
            into.add(finite(in.readDouble()));
        }
    }

    private static double finite(double sum) {
        return Double.isNaN(sum) ? 0.0 : Math.max(-Double.MAX_VALUE, Math.min(Double.MAX_VALUE, sum));
    }

    /** A histogram (form 3), or a length-prefixed KLL sketch (forms 1 and 2) converted to one. */
    private static ValueHistogram readHistogram(DataInputStream in, boolean kll, int maxBuckets) throws IOException {
        if (!kll) {
            return ValueHistogram.read(in);
        }
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return KllSketches.toHistogram(b, maxBuckets);
    }
}
