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
}
