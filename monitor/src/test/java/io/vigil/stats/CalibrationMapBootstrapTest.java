package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CalibrationMapBootstrapTest {
    private static final double[] X = {0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95};
    /** Event share per bin rising from 0.02 to 0.8. */
    private static final double[] RISK = {0.02, 0.05, 0.08, 0.12, 0.2, 0.3, 0.4, 0.55, 0.7, 0.8};

    private static CalibrationMapBootstrap reference(int casesPerBin) {
        long[] pos = new long[X.length];
        long[] neg = new long[X.length];
        for (int j = 0; j < X.length; j++) {
            pos[j] = Math.round(RISK[j] * casesPerBin);
            neg[j] = casesPerBin - pos[j];
        }
        return CalibrationMapBootstrap.fit(X, pos, neg, 200, CalibrationMapBootstrap.DEFAULT_REPLICATES);
    }

    /** The gradient of the mean q over every case of one score bin near 0.45 (100 cases there). */
    private static double[] oneBin() {
        double[] g = new double[200];
        g[91] = 1;
        return g;
    }

    @Test
    void shouldGiveTheSameReplicatesForTheSameReferenceSoRestartsPublishTheSameIntervals() {
        assertThat(reference(200).variance(oneBin())).isEqualTo(reference(200).variance(oneBin()));
    }

    @Test
    void shouldGiveTheBinomialVarianceOfTheBinsShareWhereTheMapIsOneBinWide() {
        // Score 0.4575 lies between the block of x = 0.45 (share 0.2) and of x = 0.55 (0.3): q = 0.2 + 0.075 × 0.1,
        // q's variance (0.925² × 0.2 × 0.8 + 0.075² × 0.3 × 0.7) / n for bins of n cases, if PAV pools nothing.
        for (int n : new int[] {200, 2_000}) {
            double expected = (0.925 * 0.925 * 0.16 + 0.075 * 0.075 * 0.21) / n;

            assertThat(reference(n).variance(oneBin())).as("n = %d", n).isCloseTo(expected, within(0.2 * expected));
        }
    }

    @Test
    void shouldBeZeroForAStatisticThatDoesNotDependOnTheMap() {
        assertThat(reference(200).variance(new double[200])).isZero();
    }

    @Test
    void shouldBeNullWithoutALabelledCase() {
        assertThat(CalibrationMapBootstrap.fit(X, new long[X.length], new long[X.length], 200, 10))
                .isNull();
    }

    @Test
    void shouldDrawGammasWithTheirMeanAndVarianceBelowAndAboveShapeOne() {
        SplittableRandom random = new SplittableRandom(7);
        // Gamma(a, 1): mean a, variance a; shape 0.5 is a bin without positives (Jeffreys' 0 + 1/2).
        for (double a : new double[] {0.5, 3.5, 500.5}) {
            double sum = 0;
            double sumSq = 0;
            int draws = 40_000;
            for (int i = 0; i < draws; i++) {
                double g = CalibrationMapBootstrap.gamma(random, a);
                assertThat(g).isPositive();
                sum += g;
                sumSq += g * g;
            }
            double mean = sum / draws;
            double var = sumSq / draws - mean * mean;
            assertThat(mean).as("mean, shape %.1f", a).isCloseTo(a, within(4 * Math.sqrt(a / draws)));
            assertThat(var).as("variance, shape %.1f", a).isCloseTo(a, within(0.06 * a));
        }
    }

    @Test
    void shouldCountABinWithoutPositivesAsUncertainNotKnown() {
        // 40 cases, none positive, in the lowest bin: its share is not known to be 0. Jeffreys' posterior
        // Beta(0.5, 40.5) has sd about 0.017, so a score there has a map variance of that order.
        double[] x = {0.25, 0.75};
        CalibrationMapBootstrap b = CalibrationMapBootstrap.fit(x, new long[] {0, 30}, new long[] {40, 10}, 200, 2_000);
        double[] g = new double[200];
        g[10] = 1; // score 0.0525, below the first block: q is the first block's share
        double posterior = (0.5 * 40.5) / (41.0 * 41.0 * 42.0) + Math.pow(0.5 / 41, 2);

        assertThat(b.variance(g)).isCloseTo(posterior, within(0.2 * posterior));
    }

    @Test
    void shouldReplicateAFitThatStaysMonotone() {
        // A bin with a dip (0.3 then 0.2) is pooled by PAV; the bootstrap refits the same way, so the variance of
        // a score in the pooled block is that of the pooled share (0.25 over 2n cases), not of one bin.
        long[] pos = {10, 60, 40, 180};
        long[] neg = {190, 140, 160, 20};
        double[] x = {0.125, 0.375, 0.625, 0.875};
        CalibrationMapBootstrap b = CalibrationMapBootstrap.fit(x, pos, neg, 200, 2_000);
        double[] g = new double[200];
        g[100] = 1; // score 0.5025, inside the pooled block [0.375, 0.625]
        double pooled = 0.25 * 0.75 / 400;

        assertThat(b.variance(g)).isCloseTo(pooled, within(0.25 * pooled));
    }
}
