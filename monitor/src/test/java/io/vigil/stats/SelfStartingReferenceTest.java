package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SelfStartingReferenceTest {

    @Test
    void shouldStandardiseADayAgainstThePoolByTheVarianceOfTheirDifference() {
        // pool: 4 cases 1, 2, 3, 4 (mean 2.5, population variance 1.25); day: 2 cases summing to 8 (mean 4)
        SelfStartingReference pool = SelfStartingReference.of(4, 10, 30);

        // (4 - 2.5) / sqrt(1.25 (1/2 + 1/4)) = 1.5 / sqrt(0.9375) = 1.549193
        assertThat(pool.innovation(2, 8)).isCloseTo(1.549193, within(1e-6));
        pool.pool(2, 8, 32); // values 4, 4
        assertThat(pool.n()).isEqualTo(6);
        assertThat(pool.mean()).isCloseTo(3.0, within(1e-12));
        // (1 + 4 + 9 + 16 + 16 + 16) / 6 - 9 = 62/6 - 9 = 1.333333
        assertThat(pool.variance()).isCloseTo(1.333333, within(1e-6));
    }

    @Test
    void shouldGiveNoInnovationWithoutVarianceOrCases() {
        assertThat(SelfStartingReference.of(0, 0, 0).innovation(5, 1)).isNaN();
        assertThat(SelfStartingReference.of(10, 0, 0).innovation(5, 1)).isNaN(); // a share of 0: no variance
        assertThat(SelfStartingReference.of(10, 3, 3).innovation(0, 0)).isNaN();
        assertThat(SelfStartingReference.ofMoments(100, 0.3, 0.0225).variance()).isCloseTo(0.0225, within(1e-12));
    }

    @Test
    void shouldProduceUncorrelatedUnitVarianceInnovationsWhereAFixedBaselineSharesItsError() {
        // 20,000 slices: a 14-day baseline, then 10 days, all N(0, 1) cases, 100 a day. With the pooled reference
        // the innovations of day 1 and day 10 are uncorrelated with unit variance; against the fixed baseline
        // (standardised by the variance of the difference) they share the baseline's error: correlation
        // w = n / (n + n0) = 100 / 1,500 = 0.067.
        SplittableRandom random = new SplittableRandom(3);
        int slices = 20_000;
        double[] pooledFirst = new double[slices];
        double[] pooledLast = new double[slices];
        double[] fixedFirst = new double[slices];
        double[] fixedLast = new double[slices];
        for (int i = 0; i < slices; i++) {
            double baselineMean = gaussian(random) / Math.sqrt(1_400);
            SelfStartingReference pool = SelfStartingReference.ofMoments(1_400, baselineMean, 1.0);
            for (int d = 0; d < 10; d++) {
                double dayMean = gaussian(random) / Math.sqrt(100);
                double x = pool.innovation(100, 100 * dayMean);
                double fixed = (dayMean - baselineMean) / Math.sqrt(1.0 / 100 + 1.0 / 1_400);
                pool.pool(100, 100 * dayMean, 100 * (1.0 + dayMean * dayMean));
                if (d == 0) {
                    pooledFirst[i] = x;
                    fixedFirst[i] = fixed;
                } else if (d == 9) {
                    pooledLast[i] = x;
                    fixedLast[i] = fixed;
                }
            }
        }
        double se = 1 / Math.sqrt(slices); // SE of a correlation near 0
        assertThat(correlation(pooledFirst, pooledLast)).isCloseTo(0, within(4 * se));
        assertThat(correlation(fixedFirst, fixedLast)).isCloseTo(100.0 / 1_500, within(4 * se));
        assertThat(variance(pooledLast)).isCloseTo(1, within(0.04));
    }

    @Test
    void shouldSkipDaysWithoutAnInnovation() {
        DailyCusumSeries series = new DailyCusumSeries();
        series.add(1, 0.5);
        series.add(2, Double.NaN);
        series.add(3, 3.0);

        assertThat(series.size()).isEqualTo(2);
        assertThat(series.days()).containsExactly(1, 3);
    }

    private static double correlation(double[] a, double[] b) {
        double ma = mean(a);
        double mb = mean(b);
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }

    private static double variance(double[] a) {
        double m = mean(a);
        double s = 0;
        for (double x : a) {
            s += (x - m) * (x - m);
        }
        return s / (a.length - 1);
    }

    private static double mean(double[] a) {
        double s = 0;
        for (double x : a) {
            s += x;
        }
        return s / a.length;
    }

    private static double gaussian(SplittableRandom random) {
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
