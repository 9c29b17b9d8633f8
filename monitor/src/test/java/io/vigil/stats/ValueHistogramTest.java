package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ValueHistogramTest {

    /** The relative width of a bucket at coarsening 0: 2^-7. */
    private static final double RESOLUTION = 0x1p-7;

    private record Case(String name, double[] values, int maxBuckets) {
        @Override
        public String toString() {
            return name + " (max " + maxBuckets + ")";
        }
    }

    private static List<Case> cases() {
        return List.of(
                new Case("uniform (0, 1)", uniform(1, 20_000), 2048),
                new Case("uniform (0, 1)", uniform(2, 20_000), 64),
                new Case("Beta(2, 5) scores, half rounded to 0.001", betaScores(3, 20_000), 2048),
                new Case("wide lognormal", wideLognormal(4, 20_000), 64),
                new Case("wide lognormal", wideLognormal(5, 20_000), 2048),
                new Case("mixed signs, zeros, -0.0, NaN", mixedSigns(6, 10_000), 256),
                new Case("near +-MAX_VALUE and infinities", extremes(7, 5_000), 128),
                new Case("subnormals", subnormals(8, 5_000), 128),
                new Case("mixed signs, two buckets", mixedSigns(9, 2_000), 2));
    }

    // ---------------------------------------------------------------- inputs (fixed seeds)

    private static double[] uniform(long seed, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextDouble();
        }
        return v;
    }

    /** Beta(2, 5) as the 2nd smallest of 6 uniforms; every other one rounded to 0.001 (many exact ties). */
    private static double[] betaScores(long seed, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] v = new double[n];
        double[] u = new double[6];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < u.length; j++) {
                u[j] = random.nextDouble();
            }
            Arrays.sort(u);
            v[i] = i % 2 == 0 ? u[1] : Math.round(u[1] * 1000) / 1000.0;
        }
        return v;
    }

    /** exp(N(0, 30^2)): about e^-120 .. e^120, some 350 octaves. */
    private static double[] wideLognormal(long seed, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = Math.exp(30 * random.nextGaussian());
        }
        return v;
    }

    private static double[] mixedSigns(long seed, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (random.nextInt(8)) {
                case 0 -> 0.0;
                case 1 -> -0.0;
                case 2 -> Double.NaN;
                case 3 -> -random.nextDouble();
                case 4 -> random.nextDouble() * 100 - 50;
                case 5 -> Math.scalb(random.nextDouble() - 0.5, random.nextInt(-60, 60));
                default -> random.nextGaussian();
            };
        }
        return v;
    }

    private static double[] extremes(long seed, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (random.nextInt(8)) {
                case 0 -> Double.POSITIVE_INFINITY;
                case 1 -> Double.NEGATIVE_INFINITY;
                case 2 -> Double.MAX_VALUE;
                case 3 -> -Double.MAX_VALUE;
                case 4 -> Double.MAX_VALUE / (1 + random.nextDouble());
                case 5 -> -Double.MAX_VALUE * random.nextDouble();
                case 6 -> Math.nextDown(Double.MAX_VALUE) - random.nextLong(1L << 50) * Math.ulp(Double.MAX_VALUE);
                default -> Math.scalb(random.nextDouble(), random.nextInt(900, 1024));
            };
        }
        return v;
    }

    private static double[] subnormals(long seed, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double magnitude = switch (random.nextInt(6)) {
                case 0 -> Double.MIN_VALUE * random.nextInt(1, 1000);
                case 1 -> Double.longBitsToDouble(random.nextLong(1L, 1L << 52)); // any subnormal
                case 2 -> Double.MIN_NORMAL;
                case 3 -> Math.nextDown(Double.MIN_NORMAL);
                case 4 -> Double.MIN_NORMAL * (1 + random.nextDouble());
                default -> 0.0;
            };
            v[i] = random.nextBoolean() ? magnitude : -magnitude;
        }
        return v;
    }

    // ---------------------------------------------------------------- helpers

    private static ValueHistogram build(double[] values, int maxBuckets) {
        ValueHistogram h = new ValueHistogram(maxBuckets);
        for (double v : values) {
            h.update(v);
        }
        return h;
    }

    private static double[] shuffled(double[] values, SplittableRandom random) {
        double[] v = values.clone();
        for (int i = v.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            double t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return v;
    }

    private static ValueHistogram roundTrip(ValueHistogram h) {
        return ValueHistogram.fromBytes(h.toBytes());
    }

    /**
     * The values dealt at random into 10 to 20 parts, each part built its own way (updates, weighted updates of
     * runs of equal values, merges of sub-parts, a trip through bytes, a merge into an empty histogram), then all
     * parts (and two empty ones) merged pairwise in a random tree, the receiver of each merge picked at random.
     */
    private static ValueHistogram mergedAtRandom(double[] values, int maxBuckets, SplittableRandom random) {
        int parts = random.nextInt(10, 21);
        List<List<Double>> dealt = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            dealt.add(new ArrayList<>());
        }
        for (double v : shuffled(values, random)) {
            dealt.get(random.nextInt(parts)).add(v);
        }
        List<ValueHistogram> partials = new ArrayList<>();
        partials.add(new ValueHistogram(maxBuckets));
        partials.add(new ValueHistogram(maxBuckets));
        for (List<Double> part : dealt) {
            double[] v = part.stream().mapToDouble(Double::doubleValue).toArray();
            ValueHistogram h = switch (random.nextInt(5)) {
                case 0 -> build(v, maxBuckets);
                case 1 -> weightedRuns(v, maxBuckets);
                case 2 -> {
                    int cut = v.length == 0 ? 0 : random.nextInt(v.length + 1);
                    ValueHistogram left = build(Arrays.copyOfRange(v, 0, cut), maxBuckets);
                    left.merge(roundTrip(build(Arrays.copyOfRange(v, cut, v.length), maxBuckets)));
                    yield left;
                }
                case 3 -> roundTrip(build(v, maxBuckets));
                default -> {
                    ValueHistogram empty = new ValueHistogram(maxBuckets);
                    empty.merge(build(v, maxBuckets));
                    yield empty;
                }
            };
            partials.add(h);
        }
        while (partials.size() > 1) {
            ValueHistogram a = partials.remove(random.nextInt(partials.size()));
            ValueHistogram b = partials.remove(random.nextInt(partials.size()));
            if (random.nextInt(4) == 0) {
                b = roundTrip(b);
            }
            a.merge(b);
            partials.add(a);
        }
        return partials.getFirst();
    }

    /** Sorted, then each run of identical values added as one weighted update. */
    private static ValueHistogram weightedRuns(double[] values, int maxBuckets) {
        double[] v = values.clone();
        Arrays.sort(v);
        ValueHistogram h = new ValueHistogram(maxBuckets);
        for (int i = 0; i < v.length; ) {
            int j = i;
            while (j < v.length && Double.compare(v[j], v[i]) == 0) {
                j++;
            }
            h.update(v[i], j - i);
            i = j;
        }
        return h;
    }

    /** Infinities as the largest finite value of their sign, as the histogram counts them. */
    private static double clamp(double v) {
        return Math.max(-Double.MAX_VALUE, Math.min(Double.MAX_VALUE, v));
    }

    /** The counts per bucket key at {@code coarsening}, computed value by value. */
    private static TreeMap<Long, Long> byHand(double[] values, int coarsening) {
        TreeMap<Long, Long> counts = new TreeMap<>();
        for (double v : values) {
            if (!Double.isNaN(v)) {
                counts.merge(ValueHistogram.keyOf(v, coarsening), 1L, Long::sum);
            }
        }
        return counts;
    }

    private static TreeMap<Long, Long> buckets(ValueHistogram h) {
        TreeMap<Long, Long> counts = new TreeMap<>();
        for (int i = 0; i < h.buckets(); i++) {
            counts.put(h.key(i), h.count(i));
        }
        return counts;
    }

    private static long[] keys(ValueHistogram h) {
        long[] keys = new long[h.buckets()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = h.key(i);
        }
        return keys;
    }

    // ---------------------------------------------------------------- 1. order and grouping

    @Test
    void shouldGiveTheSameBytesWhateverTheOrderOfUpdatesAndTheGroupingOfMerges() {
        for (Case c : cases()) {
            ValueHistogram inOrder = build(c.values(), c.maxBuckets());
            byte[] expected = inOrder.toBytes();
            for (long seed = 1; seed <= 3; seed++) {
                SplittableRandom random = new SplittableRandom(seed * 1_000_003);
                ValueHistogram shuffled = build(shuffled(c.values(), random), c.maxBuckets());
                ValueHistogram merged = mergedAtRandom(c.values(), c.maxBuckets(), random);

                assertThat(shuffled.toBytes())
                        .as("%s shuffled, seed %d", c, seed)
                        .isEqualTo(expected);
                assertThat(shuffled).as("%s shuffled, seed %d", c, seed).isEqualTo(inOrder);
                assertThat(merged.toBytes()).as("%s merged, seed %d", c, seed).isEqualTo(expected);
                assertThat(merged).as("%s merged, seed %d", c, seed).isEqualTo(inOrder);
                assertThat(merged.hashCode()).isEqualTo(inOrder.hashCode());
            }
        }
    }

    @Test
    void shouldEndAtTheFinestCoarseningAtWhichTheValuesFit() {
        int coarsened = 0;
        for (Case c : cases()) {
            ValueHistogram h = build(c.values(), c.maxBuckets());
            int coarsening = h.coarsening();

            assertThat(h.buckets()).as("%s", c).isLessThanOrEqualTo(c.maxBuckets());
            assertThat(buckets(h)).as("%s", c).isEqualTo(byHand(c.values(), coarsening));
            if (coarsening > 0) {
                coarsened++;
                // one bit finer the same values do not fit: by hand, and by the class from a roomier histogram
                assertThat(byHand(c.values(), coarsening - 1)).as("%s", c).hasSizeGreaterThan(c.maxBuckets());
                ValueHistogram roomy = build(c.values(), 1 << 20);
                assertThat(roomy.coarsening()).isZero();
                assertThat(roomy.atCoarsening(coarsening - 1).buckets())
                        .as("%s at coarsening %d", c, coarsening - 1)
                        .isGreaterThan(c.maxBuckets());
                assertThat(roomy.atCoarsening(coarsening).buckets()).isEqualTo(h.buckets());
            }
        }
        // the cases exercise coarsening: all but uniform(0, 1) and the scores at 2048 coarsen (from 2 bits for the
        // subnormals to 10 for the lognormal at 64), the two-bucket case all the way to MAX_COARSENING
        assertThat(coarsened).isEqualTo(7);
        assertThat(build(wideLognormal(4, 20_000), 64).coarsening())
                .isGreaterThan(build(wideLognormal(5, 20_000), 2048).coarsening());
        assertThat(build(mixedSigns(9, 2_000), 2).coarsening()).isEqualTo(ValueHistogram.MAX_COARSENING);
    }

    // ---------------------------------------------------------------- 2. exact counts

    @Test
    void shouldCountExactlySoThatTheCdfAtEveryBucketBoundaryIsTheEmpiricalOne() {
        for (Case c : cases()) {
            ValueHistogram h = build(c.values(), c.maxBuckets());
            int coarsening = h.coarsening();
            long notNaN =
                    Arrays.stream(c.values()).filter(v -> !Double.isNaN(v)).count();

            assertThat(h.n()).as("%s", c).isEqualTo(notNaN);
            assertThat(buckets(h).values().stream().mapToLong(Long::longValue).sum())
                    .isEqualTo(notNaN);

            // every value lies in the bucket of its key
            long[] keys = keys(h);
            for (double v : c.values()) {
                if (Double.isNaN(v)) {
                    continue;
                }
                int i = Arrays.binarySearch(keys, ValueHistogram.keyOf(v, coarsening));
                assertThat(i).as("%s: bucket of %s", c, v).isNotNegative();
                double x = clamp(v);
                assertThat(h.lowerBound(i)).as("%s: %s", c, v).isLessThanOrEqualTo(x);
                if (i == h.buckets() - 1 && h.upperBound(i) == Double.MAX_VALUE) {
                    assertThat(x).as("%s: %s", c, v).isLessThanOrEqualTo(h.upperBound(i));
                } else {
                    assertThat(x).as("%s: %s", c, v).isLessThan(h.upperBound(i));
                }
            }

            // the CDF at bucket boundaries (of non-empty buckets, their neighbours and random empty ones)
            SplittableRandom random = new SplittableRandom(11);
            long top = ValueHistogram.keyOf(Double.MAX_VALUE, coarsening);
            long bottom = ValueHistogram.keyOf(-Double.MAX_VALUE, coarsening);
            List<Long> queries = new ArrayList<>();
            for (int q = 0; q < 40; q++) {
                long k = h.key(random.nextInt(h.buckets()));
                queries.add(k);
                queries.add(k + 1);
                queries.add(k - 1);
                queries.add(random.nextLong(bottom, top + 1));
            }
            double[] sorted = Arrays.stream(c.values())
                    .filter(v -> !Double.isNaN(v))
                    .map(ValueHistogramTest::clamp)
                    .sorted()
                    .toArray();
            for (long k : queries) {
                if (k < bottom || k > top) {
                    continue; // clamped boundaries: the top bucket's end is MAX_VALUE itself
                }
                double x = ValueHistogram.boundary(k, coarsening);
                long below = 0;
                for (int i = 0; i < h.buckets(); i++) {
                    if (h.lowerBound(i) < x) {
                        below += h.count(i);
                    }
                }
                long exact = Arrays.stream(sorted).filter(v -> v < x).count();
                assertThat(below).as("%s: values < %s", c, x).isEqualTo(exact);
            }
        }
    }

    // ---------------------------------------------------------------- 3. resolution

    /** The bucket of a positive normal value, by arithmetic on its exponent and mantissa: [lower, upper). */
    private static double[] referenceBucket(double v) {
        int e = Math.getExponent(v);
        double j = Math.floor((Math.scalb(v, -e) - 1) * 128); // the first 7 mantissa bits, 0..127
        return new double[] {Math.scalb(1 + j / 128, e), Math.scalb(1 + (j + 1) / 128, e)};
    }

    @Test
    void shouldKeepEveryBucketWithinTwoToTheMinusSevenOfItsMagnitudeAtCoarseningZero() {
        SplittableRandom random = new SplittableRandom(12);
        List<Double> magnitudes = new ArrayList<>(List.of(
                Double.MIN_NORMAL,
                Math.nextUp(Double.MIN_NORMAL),
                1.0,
                Math.nextDown(1.0),
                1 + RESOLUTION,
                Math.nextDown(1 + RESOLUTION),
                Math.nextDown(2.0),
                0.1,
                Double.MAX_VALUE,
                0x1.fcp1023));
        for (int i = 0; i < 20_000; i++) {
            magnitudes.add(Math.scalb(1 + random.nextDouble(), random.nextInt(-1022, 1023)));
        }
        for (double m : magnitudes) {
            ValueHistogram h = new ValueHistogram(4);
            h.update(m);
            h.update(-m);
            assertThat(h.coarsening()).isZero();
            double[] reference = referenceBucket(m);
            double referenceUpper = Double.isInfinite(reference[1]) ? Double.MAX_VALUE : reference[1];

            // positive: [lower, upper) exactly as by arithmetic, width 2^-7 of the octave
            double lower = h.lowerBound(1);
            double upper = h.upperBound(1);
            assertThat(lower).as("%s", m).isEqualTo(reference[0]);
            assertThat(upper).as("%s", m).isEqualTo(referenceUpper);
            assertThat((upper - lower) / lower).as("%s", m).isLessThanOrEqualTo(RESOLUTION);
            if (upper != Double.MAX_VALUE) {
                assertThat(upper - lower).as("%s", m).isEqualTo(Math.scalb(1.0, Math.getExponent(lower) - 7));
            }

            // negative: the mirror image, half-open the other way round: [-(upper - ulp), -(lower - ulp))
            double negLower = h.lowerBound(0);
            double negUpper = h.upperBound(0);
            assertThat(negLower).as("%s", -m).isEqualTo(-Math.nextDown(reference[1]));
            assertThat(negUpper).as("%s", -m).isEqualTo(-Math.nextDown(reference[0]));
            // within 2^-7 of the lower end's magnitude, and its members (up to -m's lower end: the largest
            // value below negUpper) within 2^-7 of the smallest member's magnitude
            double largestMember = Math.nextDown(negUpper);
            assertThat(largestMember).isEqualTo(-reference[0]);
            assertThat((negUpper - negLower) / -negLower).as("%s", -m).isLessThanOrEqualTo(RESOLUTION);
            assertThat((largestMember - negLower) / -largestMember).as("%s", -m).isLessThanOrEqualTo(RESOLUTION);
        }
    }

    @Test
    void shouldPutZeroMinusZeroAndTheSmallestPositiveSubnormalsInOneBucketFromZero() {
        ValueHistogram h = new ValueHistogram(64);
        h.update(0.0);
        h.update(-0.0);
        h.update(Double.MIN_VALUE);
        h.update(Math.nextDown(0x1p-1029));

        assertThat(h.buckets()).isEqualTo(1);
        assertThat(h.count(0)).isEqualTo(4);
        assertThat(h.key(0)).isZero();
        assertThat(Double.doubleToRawLongBits(h.lowerBound(0))).isEqualTo(Double.doubleToRawLongBits(0.0));
        // the zero bucket ends at 2^45 units in the last place of the subnormals: 2^-1074 * 2^45 = 2^-1029
        assertThat(h.upperBound(0)).isEqualTo(0x1p-1029);

        // the negative subnormals have a bucket of their own, ending at (not holding) zero
        h.update(-Double.MIN_VALUE);
        assertThat(h.buckets()).isEqualTo(2);
        assertThat(h.key(0)).isEqualTo(-1);
        assertThat(h.upperBound(0)).isEqualTo(0.0);
        assertThat(h.lowerBound(0)).isEqualTo(-Math.nextDown(0x1p-1029));
    }

    // ---------------------------------------------------------------- 4. ordering

    @Test
    void shouldKeepBucketsInIncreasingDisjointOrderAtEveryCoarsening() {
        for (Case c : cases()) {
            ValueHistogram built = build(c.values(), c.maxBuckets());
            for (int coarsening = built.coarsening(); coarsening <= ValueHistogram.MAX_COARSENING; coarsening++) {
                ValueHistogram h = built.atCoarsening(coarsening);
                for (int i = 0; i < h.buckets(); i++) {
                    assertThat(h.count(i)).isPositive();
                    assertThat(h.lowerBound(i)).as("%s at %d", c, coarsening).isLessThan(h.upperBound(i));
                    assertThat(h.midpoint(i)).isBetween(h.lowerBound(i), h.upperBound(i));
                    assertThat(ValueHistogram.boundary(h.key(i), coarsening)).isEqualTo(h.lowerBound(i));
                    if (i + 1 < h.buckets()) {
                        assertThat(h.key(i)).isLessThan(h.key(i + 1));
                        assertThat(h.upperBound(i))
                                .as("%s at %d", c, coarsening)
                                .isLessThanOrEqualTo(h.lowerBound(i + 1));
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- 5. updates

    @Test
    void shouldIgnoreNaNAndWeightZeroAndRejectNegativeWeight() {
        ValueHistogram h = build(new double[] {1.0, 2.0, -3.0}, 64);
        byte[] before = h.toBytes();

        h.update(Double.NaN);
        h.update(Double.NaN, 5);
        h.update(42.0, 0);
        h.update(Double.NaN, 0);

        assertThat(h.n()).isEqualTo(3);
        assertThat(h.buckets()).isEqualTo(3);
        assertThat(h.toBytes()).isEqualTo(before);
        assertThatThrownBy(() -> h.update(1.0, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("weight");
        assertThat(h.toBytes()).isEqualTo(before);

        ValueHistogram empty = new ValueHistogram(64);
        empty.update(Double.NaN);
        empty.update(7.0, 0);
        assertThat(empty.isEmpty()).isTrue();
        assertThat(empty).isEqualTo(new ValueHistogram(64));
    }

    @Test
    void shouldCountAWeightedUpdateAsThatManyUpdates() {
        SplittableRandom random = new SplittableRandom(13);
        double[] values = wideLognormal(14, 3_000);
        ValueHistogram weighted = new ValueHistogram(64);
        ValueHistogram repeated = new ValueHistogram(64);
        long total = 0;
        for (double v : values) {
            int w = random.nextInt(0, 6);
            weighted.update(v, w);
            for (int k = 0; k < w; k++) {
                repeated.update(v);
            }
            total += w;
        }
        assertThat(weighted.coarsening()).isPositive();
        assertThat(weighted.n()).isEqualTo(total);
        assertThat(weighted).isEqualTo(repeated);
        assertThat(weighted.toBytes()).isEqualTo(repeated.toBytes());

        ValueHistogram heavy = new ValueHistogram(2);
        heavy.update(0.5, 1L << 40);
        assertThat(heavy.n()).isEqualTo(1L << 40);
        assertThat(heavy.count(0)).isEqualTo(1L << 40);
        assertThat(roundTrip(heavy)).isEqualTo(heavy);
    }

    // ---------------------------------------------------------------- 6. serial form

    private static void writeVarLong(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    /** The serial form written by hand: format, max, coarsening, rank error, size, (key delta, count)*. */
    private static byte[] encode(
            int format, long max, long coarsening, double rankError, long size, long firstKey, long... deltaCounts)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(format);
        writeVarLong(bytes, max);
        writeVarLong(bytes, coarsening);
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeDouble(rankError);
        out.flush();
        writeVarLong(bytes, size);
        writeVarLong(bytes, (firstKey << 1) ^ (firstKey >> 63));
        for (long v : deltaCounts) {
            writeVarLong(bytes, v);
        }
        return bytes.toByteArray();
    }

    @Test
    void shouldWriteTheDocumentedFormAndReadItBack() throws IOException {
        ValueHistogram h = build(new double[] {1.0, 3.0, 1.0, -2.0, Double.NaN}, 64);
        // keys: 1.0 = 0x3FF0...0 >> 45 = 130944; 3.0 = 0x4008...0 >> 45 = 131136;
        // -2.0 folds to ~0x4000...0 = -(2^62 + 1), >> 45 = -2^17 - 1 = -131073
        byte[] expected = encode(1, 64, 0, 0.0, 3, -131073, 1, 130944 + 131073, 2, 131136 - 130944, 1);

        assertThat(h.toBytes()).isEqualTo(expected);
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        h.write(new DataOutputStream(stream));
        assertThat(stream.toByteArray()).isEqualTo(expected);
        assertThat(ValueHistogram.read(new DataInputStream(new ByteArrayInputStream(expected))))
                .isEqualTo(h);
    }

    @Test
    void shouldRoundTripCanonicallyEveryHistogram() {
        List<ValueHistogram> histograms = new ArrayList<>();
        histograms.add(new ValueHistogram(2));
        histograms.add(new ValueHistogram(1 << 20));
        histograms.add(ValueHistogram.ofWeighted(16, new double[] {1, 2}, new long[] {3, 4}, 0.25));
        for (Case c : cases()) {
            histograms.add(build(c.values(), c.maxBuckets()));
        }
        for (ValueHistogram h : histograms) {
            byte[] bytes = h.toBytes();
            ValueHistogram back = ValueHistogram.fromBytes(bytes);

            assertThat(back).as("%s", h).isEqualTo(h);
            assertThat(back.n()).isEqualTo(h.n());
            assertThat(back.coarsening()).isEqualTo(h.coarsening());
            assertThat(back.maxBuckets()).isEqualTo(h.maxBuckets());
            assertThat(back.rankError()).isEqualTo(h.rankError());
            assertThat(back.toBytes()).isEqualTo(bytes);
            assertThat(h.copy().toBytes()).isEqualTo(bytes);
            // a read histogram goes on like the original
            back.update(0.75);
            ValueHistogram original = h.copy();
            original.update(0.75);
            assertThat(back.toBytes()).isEqualTo(original.toBytes());
        }
    }

    @Test
    void shouldRejectCorruptSerialForms() throws IOException {
        byte[] good = encode(1, 64, 0, 0.0, 2, 100, 5, 10, 3);
        assertThat(ValueHistogram.fromBytes(good).n()).isEqualTo(8);

        byte[] badFormat = good.clone();
        badFormat[0] = 2;
        assertThatThrownBy(() -> ValueHistogram.fromBytes(badFormat))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("format 2");
        // every truncation, including the empty array: the reader meets the end of the input
        for (int length = 0; length < good.length; length++) {
            byte[] truncated = Arrays.copyOf(good, length);
            assertThatThrownBy(() -> ValueHistogram.fromBytes(truncated))
                    .as("truncated to %d bytes", length)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasCauseInstanceOf(EOFException.class);
        }
        Map<String, byte[]> corrupt = new TreeMap<>();
        corrupt.put("keys not increasing", encode(1, 64, 0, 0.0, 2, 100, 5, 0, 3));
        corrupt.put("keys decreasing", encode(1, 64, 0, 0.0, 2, 100, 5, -1, 3));
        corrupt.put("bucket count 0", encode(1, 64, 0, 0.0, 2, 100, 0, 10, 3));
        corrupt.put("bucket count -1", encode(1, 64, 0, 0.0, 2, 100, 5, 10, -1));
        corrupt.put("3 buckets of at most 2", encode(1, 2, 0, 0.0, 3, 100, 1, 1, 1, 1, 1));
        corrupt.put("max buckets 1", encode(1, 1, 0, 0.0, 1, 100, 1));
        corrupt.put("max buckets 2^20 + 1", encode(1, (1 << 20) + 1, 0, 0.0, 1, 100, 1));
        corrupt.put("coarsening 19", encode(1, 64, 19, 0.0, 1, 0, 1));
        corrupt.put("rank error NaN", encode(1, 64, 0, Double.NaN, 1, 100, 1));
        corrupt.put("rank error 1.5", encode(1, 64, 0, 1.5, 1, 100, 1));
        corrupt.put("rank error -0.5", encode(1, 64, 0, -0.5, 1, 100, 1));
        byte[] tooLong = new byte[20];
        Arrays.fill(tooLong, (byte) 0x80);
        tooLong[0] = 1;
        corrupt.put("variable-length number too long", tooLong);
        for (Map.Entry<String, byte[]> e : corrupt.entrySet()) {
            assertThatThrownBy(() -> ValueHistogram.fromBytes(e.getValue()))
                    .as(e.getKey())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("corrupt value histogram");
        }
    }

    @Test
    void shouldRejectNegativeLengthsAndOverflowingSumsAsCorrupt() throws IOException {
        Map<String, byte[]> corrupt = new TreeMap<>();
        // varints of 10 bytes reach bit 63: negative lengths must be refused like too large ones
        corrupt.put("size -1", encode(1, 64, 0, 0.0, -1, 100, 1));
        corrupt.put("coarsening -1", encode(1, 64, -1, 0.0, 1, 100, 1));
        corrupt.put("counts overflowing n", encode(1, 64, 0, 0.0, 2, 100, Long.MAX_VALUE, 1, 1));
        corrupt.put("keys overflowing", encode(1, 64, 0, 0.0, 2, Long.MAX_VALUE - 1, 1, 2, 1));
        for (Map.Entry<String, byte[]> e : corrupt.entrySet()) {
            assertThatThrownBy(() -> ValueHistogram.fromBytes(e.getValue()))
                    .as(e.getKey())
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void shouldReadBackEveryMaxBucketsTheConstructorAccepts() {
        for (int max : new int[] {2, 1 << 20, (1 << 20) + 1, Integer.MAX_VALUE}) {
            ValueHistogram h;
            try {
                h = new ValueHistogram(max);
            } catch (IllegalArgumentException refused) {
                continue;
            }
            h.update(1.0);
            assertThat(roundTrip(h)).as("max buckets %d", max).isEqualTo(h);
        }
        assertThatThrownBy(() -> new ValueHistogram(1)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- 7. rank error

    @Test
    void shouldCarryTheRankErrorOfAWeightedConversionAndKeepTheLargestInMerges() {
        double[] values = {0.1, 0.5, 0.5, 0.9, Double.NaN};
        long[] weights = {3, 1, 2, 0, 7};
        ValueHistogram sketch = ValueHistogram.ofWeighted(64, values, weights, 0.01);

        ValueHistogram byUpdates = build(new double[] {0.1, 0.1, 0.1, 0.5, 0.5, 0.5}, 64);
        assertThat(sketch.rankError()).isEqualTo(0.01);
        assertThat(sketch.n()).isEqualTo(6);
        assertThat(buckets(sketch)).isEqualTo(buckets(byUpdates));
        assertThat(byUpdates.rankError()).isZero();
        assertThat(sketch).isNotEqualTo(byUpdates); // the rank error is part of the histogram

        ValueHistogram a = sketch.copy();
        a.merge(ValueHistogram.ofWeighted(64, new double[] {2.0}, new long[] {1}, 0.03));
        assertThat(a.rankError()).isEqualTo(0.03);
        ValueHistogram b = ValueHistogram.ofWeighted(64, new double[] {2.0}, new long[] {1}, 0.03);
        b.merge(sketch);
        assertThat(b).isEqualTo(a);
        a.merge(byUpdates);
        assertThat(a.rankError()).isEqualTo(0.03);
        // an empty histogram's rank error counts too
        ValueHistogram c = byUpdates.copy();
        c.merge(ValueHistogram.ofWeighted(64, new double[0], new long[0], 0.2));
        assertThat(c.rankError()).isEqualTo(0.2);
        assertThat(roundTrip(c).rankError()).isEqualTo(0.2);

        assertThat(ValueHistogram.ofWeighted(64, values, weights, 0).rankError())
                .isZero();
        assertThat(ValueHistogram.ofWeighted(64, values, weights, 1).rankError())
                .isEqualTo(1);
        for (double bad : new double[] {-0.01, 1.01, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> ValueHistogram.ofWeighted(64, values, weights, bad))
                    .as("rank error %s", bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("rank error");
        }
        assertThatThrownBy(() -> ValueHistogram.ofWeighted(64, values, new long[] {1}, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ValueHistogram.ofWeighted(64, new double[] {1}, new long[] {-1}, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldTreatARankErrorOfMinusZeroAsZero() throws IOException {
        ValueHistogram plain = build(new double[] {1.0}, 64);
        ValueHistogram minusZero = ValueHistogram.ofWeighted(64, new double[] {1.0}, new long[] {1}, -0.0);

        // -0.0 passes the [0, 1] check; kept as is it would make equal histograms unequal and their bytes differ
        assertThat(minusZero).isEqualTo(plain);
        assertThat(minusZero.toBytes()).isEqualTo(plain.toBytes());
        // and the form with -0.0, never written, is not canonical
        assertThatThrownBy(() -> ValueHistogram.fromBytes(encode(1, 64, 0, -0.0, 1, 130944, 1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- 8. explicit coarsening

    @Test
    void shouldCoarsenOnRequestButNeverRefine() {
        double[] values = mixedSigns(15, 5_000);
        ValueHistogram h = build(values, 256);
        int c = h.coarsening();
        assertThat(c).isPositive();

        assertThatThrownBy(() -> h.atCoarsening(c - 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("refine");
        ValueHistogram same = h.atCoarsening(c);
        assertThat(same).isEqualTo(h).isNotSameAs(h);
        same.update(1e9);
        assertThat(same).isNotEqualTo(h); // a copy, not a view

        ValueHistogram coarser = h.atCoarsening(c + 2);
        assertThat(coarser.coarsening()).isEqualTo(c + 2);
        assertThat(buckets(coarser)).isEqualTo(byHand(values, c + 2));
        assertThat(coarser.n()).isEqualTo(h.n());
        assertThat(h.coarsening()).isEqualTo(c); // unchanged
        assertThat(h.atCoarsening(c + 1).atCoarsening(c + 2)).isEqualTo(coarser);

        // merging with an empty histogram at coarsening 0, either way round, keeps the coarser resolution
        ValueHistogram intoEmpty = new ValueHistogram(256);
        intoEmpty.merge(coarser);
        ValueHistogram fromEmpty = coarser.copy();
        fromEmpty.merge(new ValueHistogram(256));
        for (ValueHistogram m : List.of(intoEmpty, fromEmpty)) {
            assertThat(m.coarsening()).isEqualTo(c + 2);
            assertThat(buckets(m)).isEqualTo(byHand(values, c + 2));
            assertThat(m).isEqualTo(coarser);
        }
        // and a finer histogram merged into it is brought to that resolution
        ValueHistogram more = coarser.copy();
        more.merge(build(new double[] {0.3, -7.0}, 256));
        double[] all = Arrays.copyOf(values, values.length + 2);
        all[values.length] = 0.3;
        all[values.length + 1] = -7.0;
        assertThat(more.coarsening()).isEqualTo(c + 2);
        assertThat(buckets(more)).isEqualTo(byHand(all, c + 2));
    }

    @Test
    void shouldRefuseToCoarsenBeyondTheLastCoarsening() {
        ValueHistogram h = build(new double[] {-3.0, 0.0, 1.0, 5.0}, 64);

        ValueHistogram signs = h.atCoarsening(ValueHistogram.MAX_COARSENING);
        assertThat(buckets(signs)).isEqualTo(Map.of(-1L, 1L, 0L, 3L));
        assertThat(signs.lowerBound(0)).isEqualTo(-Double.MAX_VALUE);
        assertThat(signs.upperBound(1)).isEqualTo(Double.MAX_VALUE);
        assertThat(roundTrip(signs)).isEqualTo(signs);
        // one bit more would shift keys by 64 (that is, by 0 in Java) and write a form read refuses
        assertThatThrownBy(() -> h.atCoarsening(ValueHistogram.MAX_COARSENING + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> h.atCoarsening(ValueHistogram.MAX_COARSENING + 64))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- 9. size

    @Test
    void shouldStayWithinItsBucketsAndAFewBytesEachAfterAMillionScores() {
        SplittableRandom random = new SplittableRandom(16);
        ValueHistogram h = new ValueHistogram(2048);
        for (int i = 0; i < 1_000_000; i++) {
            h.update(random.nextDouble());
        }
        assertThat(h.n()).isEqualTo(1_000_000);
        assertThat(h.buckets()).isLessThanOrEqualTo(2048);
        assertThat(h.coarsening()).isZero(); // scores in (0, 1) fit at full resolution (about 1,700 buckets)
        // header: format 1 + max 2 + coarsening 1 + rank error 8 + size 2 = 14 bytes; first key <= 3 bytes;
        // per bucket: key delta 1 byte (neighbouring buckets of (0, 1) are mostly adjacent, within 127 keys
        // at least), count <= 3 bytes (a count of 1,000,000 / 128 fits in 2, let alone the smaller ones)
        // (about 2.4 bytes per bucket in fact), so at most 8,224 bytes whatever the values
        assertThat(h.toBytes().length).isLessThan(4 * h.buckets() + 32);
    }

    /**
     * The final coarsening is the finest at which all values fit in maxBuckets, so partials of one kind must share
     * it: values 1-8 fit 64 buckets at coarsening 0, but a 2-bucket partial of 1-4 would have forced coarsening 8.
     */
    @Test
    void shouldRefuseToMergeHistogramsOfDifferentBounds() {
        ValueHistogram wide = new ValueHistogram(64);
        ValueHistogram narrow = new ValueHistogram(2);
        for (int v = 1; v <= 4; v++) {
            narrow.update(v);
        }

        assertThatThrownBy(() -> wide.merge(narrow))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most 2 buckets");
        assertThat(wide.isEmpty()).isTrue();
    }

    /** An empty histogram coarsened on request has no values whose resolution it must keep: merges ignore it. */
    @Test
    void shouldMergeTheSameWayInBothDirectionsWithACoarsenedEmptyHistogram() {
        ValueHistogram values = new ValueHistogram(64);
        for (int v = 1; v <= 8; v++) {
            values.update(v);
        }
        ValueHistogram emptyAtFive = new ValueHistogram(64).atCoarsening(5);

        ValueHistogram into = emptyAtFive.copy();
        into.merge(values);
        ValueHistogram from = values.copy();
        from.merge(emptyAtFive);

        assertThat(into.coarsening()).isZero();
        assertThat(into.toBytes()).isEqualTo(values.toBytes());
        assertThat(from.toBytes()).isEqualTo(values.toBytes());
    }

    @Test
    void shouldRejectTrailingBytes() {
        ValueHistogram h = new ValueHistogram(64);
        h.update(1.5);
        byte[] bytes = Arrays.copyOf(h.toBytes(), h.toBytes().length + 1);

        assertThatThrownBy(() -> ValueHistogram.fromBytes(bytes))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("trailing");
    }
}
