package io.vigil.stats;

import java.util.Arrays;

/**
 * Calibration intercept and slope: maximum-likelihood logistic regression y ~ a + b·x with
 * x = logit(p), p clipped to [1e-6, 1 - 1e-6], from grouped sufficient statistics
 * (STATISTICS.md, "Calibration").
 *
 * <p>x in [-L, L], L = ln((1 - 1e-6)/1e-6) ≈ 13.8155, is cut into {@link #BINS} = 4096 equal bins
 * (width ≈ 0.00675 log-odds). Per bin it keeps n, sum y, sum x, sum x² and sum x·y. The data terms
 * of the score equations (sum y, sum x·y) are exact; the model terms sum_i mu(a + b x_i) and
 * sum_i x_i mu(a + b x_i) are evaluated at the bin mean x̄ (sum mu ≈ n mu(x̄), sum x mu ≈ (sum x) mu(x̄)),
 * whose error is of order b² h² / 24 per case with h the bin width. Against statsmodels on all
 * golden sections (WDBC, the simulated fleet and each scanner) a, b and their interval bounds differ
 * by less than 2e-5. The fit is Newton's
 * method (IRLS) with step halving on the grouped log-likelihood; the covariance is the inverse
 * Fisher information with sum w x² built from the exact per-bin sum x², w = mu(1 - mu) at x̄.
 *
 * <p>No fit ({@link RecalibrationFit#EMPTY}) is reported when the bins show the outcomes separated
 * by logit(p), or when |a| or |b| exceeds 1000 or Newton does not converge in 100 iterations (the
 * maximum-likelihood estimate then does not exist or is meaningless as a calibration summary).
 *
 * <p>Sums are fixed point with 2^-32 resolution, so {@link #remove} exactly undoes {@link #add}.
 * Storage is sparse, as in {@link RocHistogram}: the occupied bins' ids in a sorted {@code int[]} and
 * their statistics in one {@code long[]}, five longs per bin (n, positives and the low words of the
 * three 128-bit sums); the high words are kept only once some sum no longer fits in its low word
 * (high word = sign of the low word until then, which takes ~10^7 cases in one bin), so a bin costs
 * 44 bytes plus the arrays' spare capacity. Memory is bounded by the 4096 bins. Mutable, not
 * thread-safe.
 */
public final class LogisticRecalibration {

    /** Scores are clipped to [CLIP, 1 - CLIP] before the logit. */
    public static final double CLIP = 1e-6;
    /** Number of equal-width logit bins. */
    public static final int BINS = 4096;

    private static final double LOGIT_MAX = Math.log((1 - CLIP) / CLIP);
    private static final int MAX_ITERATIONS = 100;
    private static final double TOLERANCE = 1e-10;
    /** Beyond this |slope| the data are treated as separated and no fit is reported. */
    private static final double MAX_ABS_COEFFICIENT = 1e3;

    private static final int FORMAT = 1;

    /** Longs per bin in {@link #data}: n, positives, then the low words of sum x, sum x², sum x·y. */
    private static final int STRIDE = 5;

    private static final int N = 0;
    private static final int POSITIVES = 1;
    private static final int LO = 2;
    /** The three fixed-point sums of a bin, as offsets from {@link #LO} and into {@link #hi}. */
    private static final int X = 0;

    private static final int XX = 1;
    private static final int XY = 2;
    private static final int SUMS = 3;
    private static final int[] NO_KEYS = new int[0];
    private static final long[] NO_DATA = new long[0];

    /** Occupied bins. */
    private int size;
    /** Bin ids, increasing, in [0, size). */
    private int[] keys = NO_KEYS;
    /** {@link #STRIDE} longs per bin, in the order of {@link #keys}. */
    private long[] data = NO_DATA;
    /**
     * High words of the three sums of each bin ({@link #SUMS} per bin), or null while every high word
     * is the sign extension of its low word ({@code lo >> 63}), which is then what it stands for.
     */
    private long[] hi;

    /** logit of the clipped score, in log-odds. */
    public static double logit(double score) {
        double p = Math.min(Math.max(score, CLIP), 1 - CLIP);
        return Math.log(p / (1 - p));
    }

    static int binOf(double x) {
        return Math.min((int) ((x + LOGIT_MAX) / (2 * LOGIT_MAX) * BINS), BINS - 1);
    }

    /** Counts one outcome: score in [0, 1], label 0 or 1. */
    public void add(double score, int label) {
        Checks.checkScore(score);
        Checks.checkLabel(label);
        double x = logit(score);
        long ux = FixedPointSum.toUnits(x);
        long uxx = FixedPointSum.toUnits(x * x);
        int bin = binOf(x);
        int i = Arrays.binarySearch(keys, 0, size, bin);
        if (i < 0) {
            i = -i - 1;
            insertAt(i, bin);
        }
        int d = i * STRIDE;
        data[d + N]++;
        data[d + POSITIVES] += label;
        addUnits(i, ux, uxx, label);
    }

    /**
     * Retracts one outcome previously added with the same score and label.
     *
     * @throws IllegalStateException if the score's logit bin holds no such outcome
     */
    public void remove(double score, int label) {
        Checks.checkScore(score);
        Checks.checkLabel(label);
        double x = logit(score);
        int bin = binOf(x);
        int i = Arrays.binarySearch(keys, 0, size, bin);
        int d = i * STRIDE;
        if (i < 0 || (label == 1 ? data[d + POSITIVES] == 0 : data[d + N] - data[d + POSITIVES] == 0)) {
            throw new IllegalStateException(
                    "cannot remove label " + label + " from logit bin " + bin + ": none counted");
        }
        data[d + N]--;
        data[d + POSITIVES] -= label;
        addUnits(i, -FixedPointSum.toUnits(x), -FixedPointSum.toUnits(x * x), label);
        if (data[d + N] == 0) {
            deleteAt(i);
        }
    }

    /** Adds the units of one outcome to bin i's sums, as {@link FixedPointSum#add} would. */
    private void addUnits(int i, long ux, long uxx, int label) {
        addUnits(i, X, ux);
        addUnits(i, XX, uxx);
        if (label == 1) {
            addUnits(i, XY, ux);
        }
    }

    private void addUnits(int i, int sum, long units) {
        int l = i * STRIDE + LO + sum;
        long lo = data[l];
        long newHi = FixedPointSum.addHi(hi(i, sum), lo, units);
        data[l] = lo + units;
        setHi(i, sum, newHi);
    }

    /** The high word of sum {@code sum} of bin i. */
    private long hi(int i, int sum) {
        return hi == null ? data[i * STRIDE + LO + sum] >> 63 : hi[i * SUMS + sum];
    }

    /** Sets the high word of sum {@code sum} of bin i, whose low word is already in place. */
    private void setHi(int i, int sum, long value) {
        if (hi == null) {
            if (value == data[i * STRIDE + LO + sum] >> 63) {
                return;
            }
            long[] h = new long[keys.length * SUMS];
            for (int k = 0; k < size * SUMS; k++) {
                h[k] = data[(k / SUMS) * STRIDE + LO + k % SUMS] >> 63;
            }
            hi = h;
        }
        hi[i * SUMS + sum] = value;
    }

    /** Adds the other accumulator's state to this one. */
    public void merge(LogisticRecalibration other) {
        int union = size;
        for (int i = 0, j = 0; j < other.size; ) {
            if (i < size && keys[i] < other.keys[j]) {
                i++;
            } else {
                if (i >= size || other.keys[j] < keys[i]) {
                    union++;
                } else {
                    i++;
                }
                j++;
            }
        }
        if (union > size) {
            spread(other, union);
        }
        // Every bin of other is now a bin of this one, at or after its index in other.
        for (int i = 0, j = 0; j < other.size; i++) {
            if (keys[i] != other.keys[j]) {
                continue;
            }
            int d = i * STRIDE;
            int e = j * STRIDE;
            data[d + N] += other.data[e + N];
            data[d + POSITIVES] += other.data[e + POSITIVES];
            for (int sum = 0; sum < SUMS; sum++) {
                long lo = data[d + LO + sum];
                long otherLo = other.data[e + LO + sum];
                long newHi = FixedPointSum.mergeHi(hi(i, sum), lo, other.hi(j, sum), otherLo);
                data[d + LO + sum] = lo + otherLo;
                setHi(i, sum, newHi);
            }
            j++;
        }
    }

    /**
     * Replaces the arrays by ones of capacity {@code union} holding this accumulator's bins and, empty,
     * those of other's bins it does not have (n = 0 and zero sums, as a new bin starts).
     */
    private void spread(LogisticRecalibration other, int union) {
        int[] k = new int[union];
        long[] d = new long[union * STRIDE];
        long[] h = hi == null ? null : new long[union * SUMS];
        int i = 0;
        int j = 0;
        int m = 0;
        while (i < size || j < other.size) {
            if (j >= other.size || (i < size && keys[i] <= other.keys[j])) {
                if (j < other.size && keys[i] == other.keys[j]) {
                    j++;
                }
                k[m] = keys[i];
                System.arraycopy(data, i * STRIDE, d, m * STRIDE, STRIDE);
                if (h != null) {
                    System.arraycopy(hi, i * SUMS, h, m * SUMS, SUMS);
                }
                i++;
            } else {
                k[m] = other.keys[j++];
            }
            m++;
        }
        keys = k;
        data = d;
        hi = h;
        size = union;
    }

    public long n() {
        long n = 0;
        for (int i = 0; i < size; i++) {
            n += data[i * STRIDE + N];
        }
        return n;
    }

    /** Number of occupied logit bins. */
    public int occupiedBins() {
        return size;
    }

    /**
     * Fits a and b; {@link RecalibrationFit#EMPTY} when there are no cases, only one class, no
     * spread in logit(p), or Newton does not converge (separated data).
     */
    public RecalibrationFit fit() {
        int m = size;
        double[] n = new double[m];
        double[] sy = new double[m];
        double[] sx = new double[m];
        double[] sxx = new double[m];
        double[] xbar = new double[m];
        double totalY = 0;
        double totalXy = 0;
        long total = 0;
        for (int i = 0; i < m; i++) {
            int d = i * STRIDE;
            long cn = data[d + N];
            long cp = data[d + POSITIVES];
            n[i] = cn;
            sy[i] = cp;
            sx[i] = FixedPointSum.value(hi(i, X), data[d + LO + X]);
            sxx[i] = FixedPointSum.value(hi(i, XX), data[d + LO + XX]);
            xbar[i] = sx[i] / cn;
            totalY += cp;
            totalXy += FixedPointSum.value(hi(i, XY), data[d + LO + XY]);
            total += cn;
        }
        if (total == 0 || totalY == 0 || totalY == total || separated()) {
            return RecalibrationFit.EMPTY;
        }
        double a = 0;
        double b = 1;
        double ll = logLikelihood(a, b, n, xbar, totalY, totalXy);
        for (int it = 1; it <= MAX_ITERATIONS; it++) {
            double ga = totalY;
            double gb = totalXy;
            double haa = 0;
            double hab = 0;
            double hbb = 0;
            for (int k = 0; k < m; k++) {
                double mu = sigmoid(a + b * xbar[k]);
                double w = mu * (1 - mu);
                ga -= n[k] * mu;
                gb -= sx[k] * mu;
                haa += n[k] * w;
                hab += sx[k] * w;
                hbb += sx[k] * xbar[k] * w;
            }
            double det = haa * hbb - hab * hab;
            if (!(det > 0)) {
                return RecalibrationFit.EMPTY;
            }
            double da = (hbb * ga - hab * gb) / det;
            double db = (haa * gb - hab * ga) / det;
            double step = 1;
            double na = a + da;
            double nb = b + db;
            double nll = logLikelihood(na, nb, n, xbar, totalY, totalXy);
            while (nll < ll - 1e-9 * Math.abs(ll) && step > 1e-6) {
                step /= 2;
                na = a + step * da;
                nb = b + step * db;
                nll = logLikelihood(na, nb, n, xbar, totalY, totalXy);
            }
            a = na;
            b = nb;
            ll = nll;
            if (!(Math.abs(b) < MAX_ABS_COEFFICIENT && Math.abs(a) < MAX_ABS_COEFFICIENT)) {
                return RecalibrationFit.EMPTY;
            }
            if (Math.abs(step * da) < TOLERANCE && Math.abs(step * db) < TOLERANCE) {
                return withCovariance(a, b, it, n, sx, sxx, xbar, total);
            }
        }
        return RecalibrationFit.EMPTY;
    }

    /**
     * Calibration-in-the-large: the maximum-likelihood a in y ~ Bernoulli(expit(a + logit p)), the slope
     * fixed at 1 (logit p an offset), with its Wald 95% interval a ± z / sqrt(sum mu (1 - mu)). It answers
     * "are the predicted probabilities too high or too low overall?" (ideal 0; a &lt; 0: over-prediction);
     * the intercept of {@link #fit()}, with the slope free, answers a different question and is not it
     * (Van Calster et al. 2016). Score equation sum y = sum_k n_k mu(a + x̄_k) over the same bins as
     * {@link #fit()}, solved by safeguarded Newton (it is monotone in a). EMPTY with no cases or one class
     * only (a is then infinite).
     */
    public Estimate calibrationInTheLarge() {
        double totalY = 0;
        long total = 0;
        double[] n = new double[size];
        double[] xbar = new double[size];
        for (int i = 0; i < size; i++) {
            int d = i * STRIDE;
            n[i] = data[d + N];
            xbar[i] = FixedPointSum.value(hi(i, X), data[d + LO + X]) / n[i];
            totalY += data[d + POSITIVES];
            total += data[d + N];
        }
        if (total == 0 || totalY == 0 || totalY == total) {
            return Estimate.EMPTY;
        }
        double lo = -2 * LOGIT_MAX - 50;
        double hi = 2 * LOGIT_MAX + 50;
        double a = 0;
        for (int it = 0; it < 200; it++) {
            double expected = 0;
            double information = 0;
            for (int k = 0; k < n.length; k++) {
                double mu = sigmoid(a + xbar[k]);
                expected += n[k] * mu;
                information += n[k] * mu * (1 - mu);
            }
            double g = totalY - expected; // increasing a lowers g
            if (g > 0) {
                lo = a;
            } else {
                hi = a;
            }
            double next = information > 0 ? a + g / information : Double.NaN;
            if (!(next > lo && next < hi)) {
                next = (lo + hi) / 2;
            }
            if (Math.abs(next - a) < TOLERANCE) {
                a = next;
                break;
            }
            a = next;
        }
        double information = 0;
        for (int k = 0; k < n.length; k++) {
            double mu = sigmoid(a + xbar[k]);
            information += n[k] * mu * (1 - mu);
        }
        double half = Estimate.Z95 / Math.sqrt(information);
        return new Estimate(a, a - half, a + half, total);
    }

    /**
     * True when every occupied bin is pure and the positive bins all lie on one side of the negative
     * bins: the outcomes are then separated by logit(p) and the maximum-likelihood fit does not exist.
     */
    private boolean separated() {
        int lastNegative = Integer.MIN_VALUE;
        int firstNegative = Integer.MAX_VALUE;
        int lastPositive = Integer.MIN_VALUE;
        int firstPositive = Integer.MAX_VALUE;
        for (int i = 0; i < size; i++) {
            long n = data[i * STRIDE + N];
            long positives = data[i * STRIDE + POSITIVES];
            if (positives > 0 && positives < n) {
                return false;
            }
            int bin = keys[i];
            if (positives > 0) {
                firstPositive = Math.min(firstPositive, bin);
                lastPositive = Math.max(lastPositive, bin);
            } else {
                firstNegative = Math.min(firstNegative, bin);
                lastNegative = Math.max(lastNegative, bin);
            }
        }
        return lastNegative < firstPositive || lastPositive < firstNegative;
    }

    private static RecalibrationFit withCovariance(
            double a, double b, int iterations, double[] n, double[] sx, double[] sxx, double[] xbar, long total) {
        double iaa = 0;
        double iab = 0;
        double ibb = 0;
        for (int k = 0; k < n.length; k++) {
            double mu = sigmoid(a + b * xbar[k]);
            double w = mu * (1 - mu);
            iaa += n[k] * w;
            iab += sx[k] * w;
            ibb += sxx[k] * w;
        }
        double det = iaa * ibb - iab * iab;
        if (!(det > 0)) {
            return RecalibrationFit.EMPTY;
        }
        double seA = Math.sqrt(ibb / det);
        double seB = Math.sqrt(iaa / det);
        double z = Estimate.Z95;
        return new RecalibrationFit(
                new Estimate(a, a - z * seA, a + z * seA, total),
                new Estimate(b, b - z * seB, b + z * seB, total),
                iterations);
    }

    /** Grouped log-likelihood whose gradient is the score equations used by the fit. */
    private static double logLikelihood(double a, double b, double[] n, double[] xbar, double totalY, double totalXy) {
        double ll = a * totalY + b * totalXy;
        for (int k = 0; k < n.length; k++) {
            ll -= n[k] * softplus(a + b * xbar[k]);
        }
        return ll;
    }

    private static double sigmoid(double eta) {
        return eta >= 0 ? 1 / (1 + Math.exp(-eta)) : Math.exp(eta) / (1 + Math.exp(eta));
    }

    private static double softplus(double eta) {
        return eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
    }

    public byte[] toBytes() {
        ByteCodec.Writer out = new ByteCodec.Writer().writeByte(FORMAT);
        write(out);
        return out.toByteArray();
    }

    public static LogisticRecalibration fromBytes(byte[] bytes) {
        ByteCodec.Reader in = new ByteCodec.Reader(bytes);
        in.expectFormat(FORMAT, "LogisticRecalibration");
        LogisticRecalibration r = read(in);
        in.expectEnd();
        return r;
    }

    void write(ByteCodec.Writer out) {
        out.writeVarLong(size);
        int previous = -1;
        for (int i = 0; i < size; i++) {
            int d = i * STRIDE;
            out.writeVarLong(keys[i] - previous).writeVarLong(data[d + N]).writeVarLong(data[d + POSITIVES]);
            out.writeVarLong(hi(i, X))
                    .writeVarLong(data[d + LO + X])
                    .writeVarLong(hi(i, XX))
                    .writeVarLong(data[d + LO + XX])
                    .writeVarLong(hi(i, XY))
                    .writeVarLong(data[d + LO + XY]);
            previous = keys[i];
        }
    }

    static LogisticRecalibration read(ByteCodec.Reader in) {
        LogisticRecalibration r = new LogisticRecalibration();
        int size = in.readCount(BINS);
        r.keys = new int[size];
        r.data = new long[size * STRIDE];
        long key = -1;
        for (int i = 0; i < size; i++) {
            long delta = in.readVarLong();
            if (delta <= 0 || key + delta >= BINS) {
                throw new IllegalArgumentException(
                        "logit bin must be increasing in [0, " + BINS + "), got " + (key + delta));
            }
            key += delta;
            long n = Checks.nonNegative(in.readVarLong(), "count of logit bin " + key);
            long positives = Checks.nonNegative(in.readVarLong(), "positives of logit bin " + key);
            if (n == 0 || positives > n) {
                throw new IllegalArgumentException("logit bin " + key + " must have 0 <= positives <= n, n > 0,"
                        + " got " + positives + " of " + n);
            }
            r.keys[i] = (int) key;
            r.size = i + 1;
            int d = i * STRIDE;
            r.data[d + N] = n;
            r.data[d + POSITIVES] = positives;
            for (int sum = 0; sum < SUMS; sum++) {
                long high = in.readVarLong();
                r.data[d + LO + sum] = in.readVarLong();
                r.setHi(i, sum, high);
            }
        }
        return r;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof LogisticRecalibration r
                && size == r.size
                && Arrays.equals(keys, 0, size, r.keys, 0, size)
                && Arrays.equals(data, 0, size * STRIDE, r.data, 0, size * STRIDE))) {
            return false;
        }
        if (hi != null || r.hi != null) {
            for (int i = 0; i < size; i++) {
                for (int sum = 0; sum < SUMS; sum++) {
                    if (hi(i, sum) != r.hi(i, sum)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** The hash code of the former {@code TreeMap<Integer, Cell>}: sum over bins of key ^ hash(cell). */
    @Override
    public int hashCode() {
        int h = 0;
        for (int i = 0; i < size; i++) {
            int d = i * STRIDE;
            int c = 1;
            c = 31 * c + Long.hashCode(data[d + N]);
            c = 31 * c + Long.hashCode(data[d + POSITIVES]);
            for (int sum = 0; sum < SUMS; sum++) {
                c = 31 * c + Long.hashCode(hi(i, sum));
                c = 31 * c + Long.hashCode(data[d + LO + sum]);
            }
            h += keys[i] ^ c;
        }
        return h;
    }

    @Override
    public String toString() {
        return "LogisticRecalibration[n=" + n() + ", occupiedBins=" + size + "]";
    }

    /** Opens an empty bin at index i, growing the arrays by doubling (up to {@link #BINS} bins). */
    private void insertAt(int i, int bin) {
        if (size == keys.length) {
            int cap = Math.min(Math.max(8, size * 2), BINS);
            keys = Arrays.copyOf(keys, cap);
            data = Arrays.copyOf(data, cap * STRIDE);
            if (hi != null) {
                hi = Arrays.copyOf(hi, cap * SUMS);
            }
        }
        System.arraycopy(keys, i, keys, i + 1, size - i);
        System.arraycopy(data, i * STRIDE, data, (i + 1) * STRIDE, (size - i) * STRIDE);
        Arrays.fill(data, i * STRIDE, (i + 1) * STRIDE, 0L);
        if (hi != null) {
            System.arraycopy(hi, i * SUMS, hi, (i + 1) * SUMS, (size - i) * SUMS);
            Arrays.fill(hi, i * SUMS, (i + 1) * SUMS, 0L);
        }
        keys[i] = bin;
        size++;
    }

    private void deleteAt(int i) {
        System.arraycopy(keys, i + 1, keys, i, size - i - 1);
        System.arraycopy(data, (i + 1) * STRIDE, data, i * STRIDE, (size - i - 1) * STRIDE);
        if (hi != null) {
            System.arraycopy(hi, (i + 1) * SUMS, hi, i * SUMS, (size - i - 1) * SUMS);
        }
        size--;
    }
}
