package io.vigil.stats;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The TreeMap-backed implementation of {@link LogisticRecalibration} as it was before the bins moved
 * to primitive arrays (commit 7e916cb), kept verbatim apart from its name as the reference the array
 * version must match bit for bit (fits, bytes, equals, hashCode). Test code only.
 */
final class LegacyLogisticRecalibration {

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

    private final TreeMap<Integer, Cell> cells = new TreeMap<>();

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
        cells.computeIfAbsent(binOf(x), b -> new Cell()).add(x, label);
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
        Cell cell = cells.get(bin);
        if (cell == null || (label == 1 ? cell.positives == 0 : cell.n - cell.positives == 0)) {
            throw new IllegalStateException(
                    "cannot remove label " + label + " from logit bin " + bin + ": none counted");
        }
        cell.remove(x, label);
        if (cell.n == 0) {
            cells.remove(bin);
        }
    }

    /** Adds the other accumulator's state to this one. */
    public void merge(LegacyLogisticRecalibration other) {
        for (Map.Entry<Integer, Cell> e : other.cells.entrySet()) {
            cells.computeIfAbsent(e.getKey(), b -> new Cell()).merge(e.getValue());
        }
    }

    public long n() {
        return cells.values().stream().mapToLong(c -> c.n).sum();
    }

    /** Number of occupied logit bins. */
    public int occupiedBins() {
        return cells.size();
    }

    /**
     * Fits a and b; {@link RecalibrationFit#EMPTY} when there are no cases, only one class, no
     * spread in logit(p), or Newton does not converge (separated data).
     */
    public RecalibrationFit fit() {
        int m = cells.size();
        double[] n = new double[m];
        double[] sy = new double[m];
        double[] sx = new double[m];
        double[] sxx = new double[m];
        double[] xbar = new double[m];
        double totalY = 0;
        double totalXy = 0;
        long total = 0;
        int i = 0;
        for (Cell c : cells.values()) {
            n[i] = c.n;
            sy[i] = c.positives;
            sx[i] = FixedPointSum.value(c.xHi, c.xLo);
            sxx[i] = FixedPointSum.value(c.xxHi, c.xxLo);
            xbar[i] = sx[i] / c.n;
            totalY += c.positives;
            totalXy += FixedPointSum.value(c.xyHi, c.xyLo);
            total += c.n;
            i++;
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
     * True when every occupied bin is pure and the positive bins all lie on one side of the negative
     * bins: the outcomes are then separated by logit(p) and the maximum-likelihood fit does not exist.
     */
    private boolean separated() {
        int lastNegative = Integer.MIN_VALUE;
        int firstNegative = Integer.MAX_VALUE;
        int lastPositive = Integer.MIN_VALUE;
        int firstPositive = Integer.MAX_VALUE;
        for (Map.Entry<Integer, Cell> e : cells.entrySet()) {
            Cell c = e.getValue();
            if (c.positives > 0 && c.positives < c.n) {
                return false;
            }
            int bin = e.getKey();
            if (c.positives > 0) {
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

    public static LegacyLogisticRecalibration fromBytes(byte[] bytes) {
        ByteCodec.Reader in = new ByteCodec.Reader(bytes);
        in.expectFormat(FORMAT, "LogisticRecalibration");
        LegacyLogisticRecalibration r = read(in);
        in.expectEnd();
        return r;
    }

    void write(ByteCodec.Writer out) {
        out.writeVarLong(cells.size());
        int previous = -1;
        for (Map.Entry<Integer, Cell> e : cells.entrySet()) {
            Cell c = e.getValue();
            out.writeVarLong(e.getKey() - previous).writeVarLong(c.n).writeVarLong(c.positives);
            out.writeVarLong(c.xHi)
                    .writeVarLong(c.xLo)
                    .writeVarLong(c.xxHi)
                    .writeVarLong(c.xxLo)
                    .writeVarLong(c.xyHi)
                    .writeVarLong(c.xyLo);
            previous = e.getKey();
        }
    }

    static LegacyLogisticRecalibration read(ByteCodec.Reader in) {
        LegacyLogisticRecalibration r = new LegacyLogisticRecalibration();
        int size = in.readCount(BINS);
        long key = -1;
        for (int i = 0; i < size; i++) {
            long delta = in.readVarLong();
            if (delta <= 0 || key + delta >= BINS) {
                throw new IllegalArgumentException(
                        "logit bin must be increasing in [0, " + BINS + "), got " + (key + delta));
            }
            key += delta;
            Cell c = new Cell();
            c.n = Checks.nonNegative(in.readVarLong(), "count of logit bin " + key);
            c.positives = Checks.nonNegative(in.readVarLong(), "positives of logit bin " + key);
            if (c.n == 0 || c.positives > c.n) {
                throw new IllegalArgumentException("logit bin " + key + " must have 0 <= positives <= n, n > 0,"
                        + " got " + c.positives + " of " + c.n);
            }
            c.xHi = in.readVarLong();
            c.xLo = in.readVarLong();
            c.xxHi = in.readVarLong();
            c.xxLo = in.readVarLong();
            c.xyHi = in.readVarLong();
            c.xyLo = in.readVarLong();
            r.cells.put((int) key, c);
        }
        return r;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LegacyLogisticRecalibration r && cells.equals(r.cells);
    }

    @Override
    public int hashCode() {
        return cells.hashCode();
    }

    @Override
    public String toString() {
        return "LegacyLogisticRecalibration[n=" + n() + ", occupiedBins=" + cells.size() + "]";
    }

    /**
     * Sufficient statistics of one logit bin: n, positives and three {@link FixedPointSum}s (sum x,
     * sum x², sum x·y) held inline as (hi, lo) pairs, one object per bin.
     */
    private static final class Cell {
        long n;
        long positives;
        long xHi;
        long xLo;
        long xxHi;
        long xxLo;
        long xyHi;
        long xyLo;

        void add(double x, int label) {
            n++;
            positives += label;
            addUnits(FixedPointSum.toUnits(x), FixedPointSum.toUnits(x * x), label);
        }

        void remove(double x, int label) {
            n--;
            positives -= label;
            addUnits(-FixedPointSum.toUnits(x), -FixedPointSum.toUnits(x * x), label);
        }

        private void addUnits(long ux, long uxx, int label) {
            xHi = FixedPointSum.addHi(xHi, xLo, ux);
            xLo += ux;
            xxHi = FixedPointSum.addHi(xxHi, xxLo, uxx);
            xxLo += uxx;
            if (label == 1) {
                xyHi = FixedPointSum.addHi(xyHi, xyLo, ux);
                xyLo += ux;
            }
        }

        void merge(Cell other) {
            n += other.n;
            positives += other.positives;
            xHi = FixedPointSum.mergeHi(xHi, xLo, other.xHi, other.xLo);
            xLo += other.xLo;
            xxHi = FixedPointSum.mergeHi(xxHi, xxLo, other.xxHi, other.xxLo);
            xxLo += other.xxLo;
            xyHi = FixedPointSum.mergeHi(xyHi, xyLo, other.xyHi, other.xyLo);
            xyLo += other.xyLo;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Cell c
                    && n == c.n
                    && positives == c.positives
                    && xHi == c.xHi
                    && xLo == c.xLo
                    && xxHi == c.xxHi
                    && xxLo == c.xxLo
                    && xyHi == c.xyHi
                    && xyLo == c.xyLo;
        }

        @Override
        public int hashCode() {
            return Objects.hash(n, positives, xHi, xLo, xxHi, xxLo, xyHi, xyLo);
        }
    }
}
