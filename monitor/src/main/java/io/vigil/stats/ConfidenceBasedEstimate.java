package io.vigil.stats;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Confidence-based performance estimation (CBPE, as in NannyML) for a batch of unlabelled cases:
 * each case has a model score and a calibrated probability q = P(y = 1 | score) from the reference
 * calibration map ({@link IsotonicCalibration}). A case is predicted positive iff score >= threshold.
 *
 * <p>Expected confusion counts: E[TP] = sum of q over predicted positives, E[FP] = sum of (1 - q)
 * over them; E[FN] = sum of q over predicted negatives, E[TN] = sum of (1 - q) over them. Each count
 * is a sum of independent Bernoullis with variance sum q(1 - q) (per predicted class). Intervals are
 * normal, value ± z sd, clipped to [0, 1]:
 * <ul>
 *   <li>sensitivity = TP/(TP + FN): TP and FN come from disjoint cases, so by the delta method
 *       Var ≈ (FN² Var(TP) + TP² Var(FN)) / (TP + FN)⁴; specificity likewise with TN and FP.</li>
 *   <li>PPV = TP / n+, with n+ the (known) number of predicted positives: Var = Var(TP) / n+²;
 *       NPV = TN / n- likewise. (FP = n+ - TP is not independent of TP, so the ratio formula would
 *       be wrong here.)</li>
 *   <li>AUC: the binned AUC with soft class weights per score bin (sum q as positives, sum (1 - q) as
 *       negatives), ties within a bin counted half.</li>
 * </ul>
 * These intervals count only the batch's unknown labels, as if q were exact. The map is fitted on a
 * reference of finite size, and its error is shared by every case: {@link #withMapError} adds it (and gives
 * the AUC its interval), and is what the estimation stage publishes. The estimate targets the realised
 * metric of the batch and holds only while the calibration map holds; the backtest against matured
 * labels is what tells.
 *
 * <p>State is a fixed set of additive sums (no per-case data): {@link #merge} adds two batches (for
 * example daily buckets into a window) and the result equals adding all cases to one instance.
 * Mutable, not thread-safe; {@link #toBytes()} / {@link #fromBytes(byte[])} for state stores.
 */
public final class ConfidenceBasedEstimate {

    /** Default number of equal-width score bins on [0, 1] for the soft AUC. */
    public static final int DEFAULT_AUC_BINS = 1000;

    private static final int FORMAT = 1;

    private final double threshold;
    private long predictedPositive;
    private long predictedNegative;
    // Sums of q, 1 - q and q (1 - q) over predicted positives and negatives, and of q and 1 - q per score
    // bin, in fixed point (FixedPointSum: each term rounded once to 2^-32, then added exactly), so that any
    // order of adds and merges, as Kafka Streams' flushes and the owners' merges give, holds the same bits.
    private final FixedPointSum tpSum = new FixedPointSum();
    private final FixedPointSum fpSum = new FixedPointSum();
    private final FixedPointSum varPosSum = new FixedPointSum();
    private final FixedPointSum fnSum = new FixedPointSum();
    private final FixedPointSum tnSum = new FixedPointSum();
    private final FixedPointSum varNegSum = new FixedPointSum();
    /** Bin b's sum of q is (binPosHi[b], binPosLo[b]) in FixedPointSum's units; of 1 - q, binNeg*. */
    private final long[] binPosHi;

    private final long[] binPosLo;
    private final long[] binNegHi;
    private final long[] binNegLo;

    /**
     * @param threshold decision threshold on the score (predicted positive iff score >= threshold)
     * @param aucBins   number of equal-width score bins on [0, 1] for the soft AUC (scores outside
     *                  [0, 1] are clipped into the end bins)
     */
    public ConfidenceBasedEstimate(double threshold, int aucBins) {
        if (!Double.isFinite(threshold)) {
            throw new IllegalArgumentException("threshold must be finite, got " + threshold);
        }
        if (aucBins < 1) {
            throw new IllegalArgumentException("aucBins must be >= 1, got " + aucBins);
        }
        this.threshold = threshold;
        this.binPosHi = new long[aucBins];
        this.binPosLo = new long[aucBins];
        this.binNegHi = new long[aucBins];
        this.binNegLo = new long[aucBins];
    }

    public ConfidenceBasedEstimate(double threshold) {
        this(threshold, DEFAULT_AUC_BINS);
    }

    /**
     * Adds one case.
     *
     * @param score model score (sets the predicted class and the AUC bin)
     * @param q     calibrated probability of the positive class, in [0, 1]
     */
    public void add(double score, double q) {
        add(score, q, score >= threshold);
    }

    /**
     * Adds one case whose decision was made elsewhere, e.g. at the threshold carried by the
     * prediction itself when it differs from this estimate's nominal threshold.
     *
     * @param score    model score (sets the AUC bin)
     * @param q        calibrated probability of the positive class, in [0, 1]
     * @param positive the case's decision (predicted positive)
     */
    public void add(double score, double q, boolean positive) {
        if (!Double.isFinite(score)) {
            throw new IllegalArgumentException("score must be finite, got " + score);
        }
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("calibrated probability must be in [0, 1], got " + q);
        }
        double v = q * (1 - q);
        if (positive) {
            predictedPositive++;
            tpSum.add(q);
            fpSum.add(1 - q);
            varPosSum.add(v);
        } else {
            predictedNegative++;
            fnSum.add(q);
            tnSum.add(1 - q);
            varNegSum.add(v);
        }
        int b = (int) Math.floor(Math.max(0, Math.min(1, score)) * bins());
        b = Math.min(b, bins() - 1);
        long pos = FixedPointSum.toUnits(q);
        long neg = FixedPointSum.toUnits(1 - q);
        binPosHi[b] = FixedPointSum.addHi(binPosHi[b], binPosLo[b], pos);
        binPosLo[b] += pos;
        binNegHi[b] = FixedPointSum.addHi(binNegHi[b], binNegLo[b], neg);
        binNegLo[b] += neg;
    }

    /** Adds another batch's sums into this one; both must share threshold and bins. */
    public ConfidenceBasedEstimate merge(ConfidenceBasedEstimate other) {
        if (other.threshold != threshold || other.bins() != bins()) {
            throw new IllegalArgumentException("cannot merge estimates with different threshold or bins: " + threshold
                    + "/" + bins() + " vs " + other.threshold + "/" + other.bins());
        }
        predictedPositive += other.predictedPositive;
        predictedNegative += other.predictedNegative;
        tpSum.merge(other.tpSum);
        fpSum.merge(other.fpSum);
        varPosSum.merge(other.varPosSum);
        fnSum.merge(other.fnSum);
        tnSum.merge(other.tnSum);
        varNegSum.merge(other.varNegSum);
        for (int i = 0; i < bins(); i++) {
            binPosHi[i] = FixedPointSum.mergeHi(binPosHi[i], binPosLo[i], other.binPosHi[i], other.binPosLo[i]);
            binPosLo[i] += other.binPosLo[i];
            binNegHi[i] = FixedPointSum.mergeHi(binNegHi[i], binNegLo[i], other.binNegHi[i], other.binNegLo[i]);
            binNegLo[i] += other.binNegLo[i];
        }
        return this;
    }

    /** Number of equal-width score bins of the soft AUC. */
    public int bins() {
        return binPosHi.length;
    }

    private double binPos(int b) {
        return FixedPointSum.value(binPosHi[b], binPosLo[b]);
    }

    private double binNeg(int b) {
        return FixedPointSum.value(binNegHi[b], binNegLo[b]);
    }

    private double tp() {
        return tpSum.value();
    }

    private double fp() {
        return fpSum.value();
    }

    private double varPos() {
        return varPosSum.value();
    }

    private double fn() {
        return fnSum.value();
    }

    private double tn() {
        return tnSum.value();
    }

    private double varNeg() {
        return varNegSum.value();
    }

    public double threshold() {
        return threshold;
    }

    /** Number of cases added. */
    public long n() {
        return predictedPositive + predictedNegative;
    }

    public long predictedPositives() {
        return predictedPositive;
    }

    public long predictedNegatives() {
        return predictedNegative;
    }

    public double expectedTruePositives() {
        return tp();
    }

    public double expectedFalsePositives() {
        return fp();
    }

    public double expectedFalseNegatives() {
        return fn();
    }

    public double expectedTrueNegatives() {
        return tn();
    }

    /**
     * The sums the sensitivity's case-mix variance is built from, with a_i = q_i 1[positive_i] and b_i = q_i:
     * {n, Σa, Σb, Σa², Σb²}, where Σa = E[TP], Σb = E[TP] + E[FN], Σa² = Σ over predicted positives of q² = E[TP]
     * minus its variance term, and Σb² = Σ q² ({@link SensitivityReference}).
     */
    public double[] sensitivitySums() {
        double a2 = tp() - varPos();
        return new double[] {n(), tp(), tp() + fn(), a2, a2 + fn() - varNeg()};
    }

    /** Estimated sensitivity with its delta-method interval; n = all cases. */
    public Estimate sensitivity() {
        return ratio(tp(), varPos(), fn(), varNeg());
    }

    /** Estimated specificity with its delta-method interval; n = all cases. */
    public Estimate specificity() {
        return ratio(tn(), varNeg(), fp(), varPos());
    }

    /** Estimated PPV with its interval; n = predicted positives. */
    public Estimate ppv() {
        return share(tp(), varPos(), predictedPositive);
    }

    /** Estimated NPV with its interval; n = predicted negatives. */
    public Estimate npv() {
        return share(tn(), varNeg(), predictedNegative);
    }

    /** Expected prevalence (sum q / n) with interval from the variance of the sum; n = all cases. */
    public Estimate prevalence() {
        return share(tp() + fn(), varPos() + varNeg(), n());
    }

    /** Soft-label binned AUC, a point estimate; EMPTY when either soft class has no weight. */
    public Estimate auc() {
        double p = 0;
        double q = 0;
        for (int i = 0; i < bins(); i++) {
            p += binPos(i);
            q += binNeg(i);
        }
        if (p <= 0 || q <= 0) {
            return Estimate.EMPTY;
        }
        double below = 0;
        double sum = 0;
        for (int i = 0; i < bins(); i++) {
            sum += binPos(i) * (below + binNeg(i) / 2);
            below += binNeg(i);
        }
        return Estimate.point(sum / (p * q), n());
    }

    /**
     * The estimates with intervals that count both sources of error: the window's unknown labels (the
     * Bernoulli variance of each case given its calibrated probability) and the calibration map's own
     * sampling error from its reference ({@link CalibrationMapBootstrap}), added as the map variance of
     * each estimate's linearisation in the score bins' calibrated probabilities. The AUC gets an interval
     * too: the realised AUC's variance given the scores, sum over bins of Var(labels in bin) g_b², with
     * g_b = (F0_b − A)/P − (S1_b − A)/Q its derivative in one case's label (F0_b the soft share of negatives
     * below the bin, S1_b of positives above, ties half), plus the map variance through the same g_b; its
     * interval is taken on the logit scale, as the labelled AUC's is. The others stay value ± z sd clipped
     * to [0, 1].
     *
     * <p>The decision of each case is not stored per bin: bins above the one holding
     * {@code decisionThreshold} count as predicted positive, bins below as negative, and the threshold's own
     * bin holds the rest of the predicted positives. Exact when every prediction used that threshold; it only
     * shapes the map variance.
     *
     * @param map               the map's bootstrap, or null to count the labels' error only
     * @param decisionThreshold the threshold the predictions used
     */
    public Estimates withMapError(CalibrationMapBootstrap map, double decisionThreshold) {
        int bins = bins();
        if (map != null && map.scoreBins() != bins) {
            throw new IllegalArgumentException(
                    "bootstrap has " + map.scoreBins() + " score bins, the estimate " + bins);
        }
        if (n() == 0) {
            return new Estimates(Estimate.EMPTY, Estimate.EMPTY, Estimate.EMPTY, Estimate.EMPTY, Estimate.EMPTY);
        }
        double[] count = new double[bins];
        double[] pos = new double[bins];
        int tb = Math.min(bins - 1, (int) Math.floor(Math.max(0, Math.min(1, decisionThreshold)) * bins));
        double above = 0;
        for (int b = 0; b < bins; b++) {
            count[b] = binPos(b) + binNeg(b);
            if (b > tb) {
                pos[b] = count[b];
                above += count[b];
            }
        }
        pos[tb] = Math.max(0, Math.min(count[tb], predictedPositive - above));
        double[] gSens = new double[bins];
        double[] gSpec = new double[bins];
        double[] gPpv = new double[bins];
        double[] gNpv = new double[bins];
        double sensDen = tp() + fn();
        double specDen = tn() + fp();
        for (int b = 0; b < bins; b++) {
            double cp = pos[b];
            double cn = count[b] - pos[b];
            gSens[b] = (fn() * cp - tp() * cn) / (sensDen * sensDen);
            gSpec[b] = (tn() * cp - fp() * cn) / (specDen * specDen);
            gPpv[b] = predictedPositive > 0 ? cp / predictedPositive : 0;
            gNpv[b] = predictedNegative > 0 ? -cn / predictedNegative : 0;
        }
        double sensDen4 = sensDen * sensDen * sensDen * sensDen;
        double specDen4 = specDen * specDen * specDen * specDen;
        double nPos = predictedPositive;
        double nNeg = predictedNegative;
        Estimate sensitivity =
                widen(sensitivity(), map, gSens, (fn() * fn() * varPos() + tp() * tp() * varNeg()) / sensDen4);
        Estimate specificity =
                widen(specificity(), map, gSpec, (fp() * fp() * varNeg() + tn() * tn() * varPos()) / specDen4);
        Estimate ppv = widen(ppv(), map, gPpv, varPos() / (nPos * nPos));
        Estimate npv = widen(npv(), map, gNpv, varNeg() / (nNeg * nNeg));
        return new Estimates(sensitivity, specificity, ppv, npv, aucWithInterval(map, count));
    }

    /** The five estimates of one window, each with its interval. */
    public record Estimates(Estimate sensitivity, Estimate specificity, Estimate ppv, Estimate npv, Estimate auc) {}

    /** value ± z sqrt(label variance + map variance), clipped; the point's own n. */
    private Estimate widen(Estimate e, CalibrationMapBootstrap map, double[] gradient, double labelVariance) {
        if (e.isEmpty() || map == null) {
            return e;
        }
        return interval(e.value(), labelVariance + map.variance(gradient), e.n());
    }

    private Estimate aucWithInterval(CalibrationMapBootstrap map, double[] count) {
        Estimate point = auc();
        if (point.isEmpty()) {
            return point;
        }
        double a = point.value();
        double p = 0;
        double q = 0;
        for (int b = 0; b < bins(); b++) {
            p += binPos(b);
            q += binNeg(b);
        }
        int bins = bins();
        double[] g = new double[bins];
        double[] gCount = new double[bins];
        double negBelow = 0;
        double posAbove = p;
        double labels = 0;
        for (int b = 0; b < bins; b++) {
            posAbove -= binPos(b);
            double f0 = (negBelow + binNeg(b) / 2) / q;
            double s1 = (posAbove + binPos(b) / 2) / p;
            g[b] = (f0 - a) / p - (s1 - a) / q;
            gCount[b] = g[b] * count[b];
            if (count[b] > 0) {
                // The bin's labels' variance at its mean q, c q̄ (1 − q̄): at least the sum of q (1 − q).
                labels += binPos(b) * binNeg(b) / count[b] * g[b] * g[b];
            }
            negBelow += binNeg(b);
        }
        double var = labels + (map == null ? 0 : map.variance(gCount));
        if (!(a > 0 && a < 1) || !(var > 0)) {
            return point;
        }
        double half = Estimate.Z95 * Math.sqrt(var) / (a * (1 - a));
        double logit = Math.log(a / (1 - a));
        return new Estimate(a, expit(logit - half), expit(logit + half), point.n());
    }

    private static double expit(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** a/(a + b) for independent sums a, b with variances va, vb. */
    private Estimate ratio(double a, double va, double b, double vb) {
        double d = a + b;
        if (n() == 0 || d <= 0) {
            return Estimate.EMPTY;
        }
        double value = a / d;
        double var = (b * b * va + a * a * vb) / (d * d * d * d);
        return interval(value, var, n());
    }

    private static Estimate share(double a, double va, long count) {
        if (count == 0) {
            return Estimate.EMPTY;
        }
        return interval(a / count, va / ((double) count * count), count);
    }

    private static Estimate interval(double value, double var, long n) {
        double half = Estimate.Z95 * Math.sqrt(Math.max(0, var));
        return new Estimate(value, Math.max(0, value - half), Math.min(1, value + half), n);
    }

    /** Serialised sums: threshold, bins, counts, sums, per-bin soft counts. */
    /** Stored form: format, threshold, bins, counts, the six sums, then each bin's two sums. */
    public byte[] toBytes() {
        ByteCodec.Writer out = new ByteCodec.Writer()
                .writeByte(FORMAT)
                .writeDouble(threshold)
                .writeVarLong(bins())
                .writeVarLong(predictedPositive)
                .writeVarLong(predictedNegative);
        for (FixedPointSum sum : List.of(tpSum, fpSum, varPosSum, fnSum, tnSum, varNegSum)) {
            sum.write(out);
        }
        for (int i = 0; i < bins(); i++) {
            out.writeVarLong(binPosHi[i]).writeVarLong(binPosLo[i]);
            out.writeVarLong(binNegHi[i]).writeVarLong(binNegLo[i]);
        }
        return out.toByteArray();
    }

    /** Inverse of {@link #toBytes()}. */
    public static ConfidenceBasedEstimate fromBytes(byte[] bytes) {
        ByteCodec.Reader in = new ByteCodec.Reader(bytes);
        in.expectFormat(FORMAT, "CBPE state");
        double threshold = in.readDouble();
        int bins = in.readCount(1 << 16);
        if (bins < 1) {
            throw new IllegalArgumentException("corrupt CBPE state: " + bins + " bins");
        }
        ConfidenceBasedEstimate e = new ConfidenceBasedEstimate(threshold, bins);
        e.predictedPositive = in.readVarLong();
        e.predictedNegative = in.readVarLong();
        for (FixedPointSum sum : List.of(e.tpSum, e.fpSum, e.varPosSum, e.fnSum, e.tnSum, e.varNegSum)) {
            sum.merge(FixedPointSum.read(in));
        }
        for (int i = 0; i < bins; i++) {
            e.binPosHi[i] = in.readVarLong();
            e.binPosLo[i] = in.readVarLong();
            e.binNegHi[i] = in.readVarLong();
            e.binNegLo[i] = in.readVarLong();
        }
        in.expectEnd();
        return e;
    }

    /**
     * Reads the form written before the sums were fixed point (doubles, no format byte; estimation state of
     * earlier versions): each stored double sum becomes one term.
     */
    public static ConfidenceBasedEstimate fromDoubleSums(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        double threshold = buf.getDouble();
        int bins = buf.getInt();
        if (bins < 1 || bytes.length != 8 + 4 + 16 + 48 + 16L * bins) {
            throw new IllegalArgumentException("corrupt CBPE state: " + bins + " bins in " + bytes.length + " bytes");
        }
        ConfidenceBasedEstimate e = new ConfidenceBasedEstimate(threshold, bins);
        e.predictedPositive = buf.getLong();
        e.predictedNegative = buf.getLong();
        for (FixedPointSum sum : List.of(e.tpSum, e.fpSum, e.varPosSum, e.fnSum, e.tnSum, e.varNegSum)) {
            sum.add(buf.getDouble());
        }
        for (int i = 0; i < bins; i++) {
            long pos = FixedPointSum.toUnits(buf.getDouble());
            long neg = FixedPointSum.toUnits(buf.getDouble());
            e.binPosHi[i] = pos >> 63;
            e.binPosLo[i] = pos;
            e.binNegHi[i] = neg >> 63;
            e.binNegLo[i] = neg;
        }
        return e;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConfidenceBasedEstimate other && Arrays.equals(toBytes(), other.toBytes());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(toBytes());
    }
}
