package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class CusumTest {

    private static final double TARGET_ARL0 = 365;

    /** Steps until the first alarm from a zero state, on N(mean, 1) data. */
    private static long runLength(Cusum cusum, double mean, Random rnd) {
        Cusum.State s = Cusum.State.INITIAL;
        while (true) {
            Cusum.Step step = cusum.update(s, rnd.nextGaussian() + mean);
            if (step.isAlarm()) {
                return step.state().t();
            }
            s = step.state();
        }
    }

    @Test
    void shouldSolveSiegmundForThresholdWhenTargetArl0Given() {
        Cusum c = Cusum.forShift(1.0, TARGET_ARL0, Cusum.Side.UPPER);
        double b = c.h() + Cusum.SIEGMUND_CORRECTION;

        assertThat(c.k()).isEqualTo(0.5);
        assertThat((Math.exp(b) - b - 1) / 0.5).isCloseTo(TARGET_ARL0, within(1e-6));
        assertThat(c.h()).isCloseTo(4.08, within(0.02));
        assertThat(c.arl0()).isCloseTo(TARGET_ARL0, within(1e-6));
    }

    /**
     * 500 runs: run lengths are nearly geometric (sd about the mean), so the simulated mean has a
     * relative standard error of about 1/sqrt(500) = 4.5%; ±20% leaves room for Siegmund's own error.
     */
    @Test
    void shouldReachTargetArl0WithinTwentyPercentWhenSimulatedInControl() {
        for (Cusum.Side side : new Cusum.Side[] {Cusum.Side.UPPER, Cusum.Side.TWO_SIDED}) {
            Cusum c = Cusum.forShift(1.0, TARGET_ARL0, side);
            Random rnd = new Random(42);
            double total = 0;
            int runs = 500;
            for (int r = 0; r < runs; r++) {
                total += runLength(c, 0, rnd);
            }
            assertThat(total / runs).as(side.name()).isCloseTo(TARGET_ARL0, within(0.2 * TARGET_ARL0));
        }
    }

    @Test
    void shouldDetectUnitShiftWithinSiegmundDelayWhenShiftIsOneSd() {
        Cusum c = Cusum.forShift(1.0, TARGET_ARL0, Cusum.Side.UPPER);
        Random rnd = new Random(7);
        double total = 0;
        int runs = 2000;
        for (int r = 0; r < runs; r++) {
            total += runLength(c, 1.0, rnd);
        }
        double expected = c.expectedDelay(1.0);

        assertThat(expected).isBetween(8.0, 9.0);
        assertThat(total / runs).isCloseTo(expected, within(0.1 * expected));
    }

    @Test
    void shouldEstimateChangeTimeAndResetWhenAlarmRaised() {
        Cusum c = Cusum.forShift(2.0, TARGET_ARL0, Cusum.Side.TWO_SIDED);
        Random rnd = new Random(11);
        Cusum.State s = Cusum.State.INITIAL;
        Cusum.Step alarm = null;
        for (int t = 1; t <= 200 && alarm == null; t++) {
            Cusum.Step step = c.update(s, rnd.nextGaussian() + (t > 100 ? -2.0 : 0.0));
            if (step.isAlarm()) {
                alarm = step;
            }
            s = step.state();
        }

        assertThat(alarm).isNotNull();
        assertThat(alarm.alarm()).isEqualTo(Cusum.Direction.DOWN);
        assertThat(alarm.state().t()).isBetween(101L, 110L);
        assertThat(alarm.changeTime()).isBetween(98L, 104L);
        assertThat(alarm.state().upper()).isZero();
        assertThat(alarm.state().lower()).isZero();
    }

    @Test
    void shouldFollowRecursionByHandWhenFedKnownValues() {
        Cusum c = Cusum.of(0.5, 2.0, Cusum.Side.UPPER);
        Cusum.Step s1 = c.update(Cusum.State.INITIAL, 1.5); // 1.0
        Cusum.Step s2 = c.update(s1.state(), -2.0); // max(0, 1.0 - 2.5) = 0
        Cusum.Step s3 = c.update(s2.state(), 1.7); // 1.2
        Cusum.Step s4 = c.update(s3.state(), 1.5); // 2.2 > 2 -> alarm, excursion began at t = 3

        assertThat(s1.state().upper()).isCloseTo(1.0, within(1e-12));
        assertThat(s2.state().upper()).isZero();
        assertThat(s3.state().upper()).isCloseTo(1.2, within(1e-12));
        assertThat(s4.alarm()).isEqualTo(Cusum.Direction.UP);
        assertThat(s4.statistic()).isCloseTo(2.2, within(1e-12));
        assertThat(s4.changeTime()).isEqualTo(3);
        assertThat(s3.changeTime()).isEqualTo(-1);
    }

    @Test
    void shouldRoundTripStateWhenSerialised() {
        Cusum.State s = new Cusum.State(1.25, 0.5, 42, 40, 41);

        assertThat(Cusum.State.fromBytes(s.toBytes())).isEqualTo(s);
    }

    @Test
    void shouldStandardiseRateByReferenceVarianceWhenDailyCountsGiven() {
        // (30/100 - 0.2) / sqrt(0.2 * 0.8 / 100) = 0.1 / 0.04
        assertThat(Cusum.standardisedRate(30, 100, 0.2)).isCloseTo(2.5, within(1e-12));
    }

    @Test
    void shouldScoreABinomialCountByItsRandomisedQuantileAsSciPyDoes() {
        // scipy.stats: norm.ppf(binom.cdf(k - 1, n, p0) + u * binom.pmf(k, n, p0)), and the upper tail from binom.sf.
        assertThat(Cusum.binomialScore(0, 5, 0.05, 0.5)).isCloseTo(-0.2874328156971173, within(1e-9));
        assertThat(Cusum.binomialScore(2, 20, 0.05, 0.3)).isCloseTo(0.8149256509255932, within(1e-9));
        assertThat(Cusum.binomialScore(15, 100, 0.05, 0.5)).isCloseTo(3.7556266193319408, within(1e-7));
        assertThat(Cusum.binomialScore(100, 100, 0.05, 0.5)).isEqualTo(8.0);
    }

    @Test
    void shouldBeStandardNormalWhileTheRateIsTheReferenceWhereTheStandardisedRateIsSkewed() {
        // 5 trials at 0.05: a quarter of an expected event. 200,000 draws, u from dayUniform over the days.
        Random rnd = new Random(17);
        int draws = 200_000;
        double sum = 0;
        double squares = 0;
        double cubes = 0;
        double standardisedCubes = 0;
        int above196 = 0;
        for (int d = 0; d < draws; d++) {
            int k = 0;
            for (int i = 0; i < 5; i++) {
                k += rnd.nextDouble() < 0.05 ? 1 : 0;
            }
            double x = Cusum.binomialScore(k, 5, 0.05, Cusum.dayUniform("m|1|site|S01", d));
            sum += x;
            squares += x * x;
            cubes += x * x * x;
            above196 += x > 1.959963984540054 ? 1 : 0;
            double z = Cusum.standardisedRate(k, 5, 0.05);
            standardisedCubes += z * z * z;
        }
        double mean = sum / draws;
        assertThat(mean).isCloseTo(0.0, within(0.01));
        assertThat(squares / draws - mean * mean).isCloseTo(1.0, within(0.015));
        assertThat(cubes / draws).isCloseTo(0.0, within(0.05));
        assertThat((double) above196 / draws).isCloseTo(0.025, within(0.002));
        // The standardised rate of the same counts: third moment about 1.9, the skew that made its CUSUM alarm early.
        assertThat(standardisedCubes / draws).isGreaterThan(1.5);
    }

    @Test
    void shouldDrawTheSameUniformForTheSameSeriesAndDayAndAnotherForAnotherDay() {
        double u = Cusum.dayUniform("m|1|scanner|A", 20_454);
        assertThat(Cusum.dayUniform("m|1|scanner|A", 20_454)).isEqualTo(u);
        assertThat(u).isBetween(0.0, 1.0).isNotIn(0.0, 1.0);
        assertThat(Cusum.dayUniform("m|1|scanner|A", 20_455)).isNotEqualTo(u);
        assertThat(Cusum.dayUniform("m|1|scanner|B", 20_454)).isNotEqualTo(u);
    }

    @Test
    void shouldAlarmOnATripledFlipRateAndStayQuietAtTheReferenceWhenDaysAreBinomialScores() {
        // 60 days of 20 pairs, the stability stage's detector (1 sd, ARL0 3,650 days, two-sided) and scoring.
        Cusum cusum = Cusum.forShift(1.0, 3_650, Cusum.Side.TWO_SIDED);
        int quietAlarms = 0;
        int trippedAlarms = 0;
        for (int s = 0; s < 50; s++) {
            Random rnd = new Random(1_000 + s);
            DailyCusumSeries quiet = new DailyCusumSeries();
            DailyCusumSeries tripled = new DailyCusumSeries();
            for (int d = 0; d < 60; d++) {
                int k0 = 0;
                int k3 = 0;
                for (int i = 0; i < 20; i++) {
                    double v = rnd.nextDouble();
                    k0 += v < 0.05 ? 1 : 0;
                    k3 += v < 0.15 ? 1 : 0;
                }
                String slice = "m|1|scanner|S" + s;
                quiet.add(d, Cusum.binomialScore(k0, 20, 0.05, Cusum.dayUniform(slice, d)));
                tripled.add(d, Cusum.binomialScore(k3, 20, 0.05, Cusum.dayUniform(slice, d)));
            }
            quietAlarms += quiet.run(cusum).alarm() ? 1 : 0;
            trippedAlarms += tripled.run(cusum).alarm() ? 1 : 0;
        }
        // At ARL0 3,650 days a slice alarms within 60 days with probability about 1.6%; a tripled rate (a shift of
        // 2 sd of a day) within days.
        assertThat(quietAlarms).isLessThanOrEqualTo(3);
        assertThat(trippedAlarms).isEqualTo(50);
    }
}
