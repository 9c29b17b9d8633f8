package io.vigil.stats;

/**
 * One bin of a reliability diagram: scores in [bin/10, (bin+1)/10), 1.0 in bin 9.
 *
 * @param bin          bin index 0..9
 * @param n            number of cases in the bin
 * @param meanScore    mean predicted probability of those cases; NaN when n = 0
 * @param observedRate observed positive rate with its 95% Wilson interval; {@link Estimate#EMPTY}
 *                     when n = 0
 */
public record ReliabilityBin(int bin, long n, double meanScore, Estimate observedRate) {

    public ReliabilityBin {
        if (bin < 0 || bin >= CalibrationStats.BINS) {
            throw new IllegalArgumentException("bin must be in [0, " + CalibrationStats.BINS + "), got " + bin);
        }
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
    }

    /** |meanScore - observed rate|, the bin's calibration gap; NaN when n = 0. */
    public double gap() {
        return n == 0 ? Double.NaN : Math.abs(meanScore - observedRate.value());
    }
}
