package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ObservedExpectedReferenceTest {

    private static ObservedExpectedReference.Day day(long labelled, long observed, double e, double v, double k3) {
        return new ObservedExpectedReference.Day(0, labelled, observed, e, v, k3);
    }

    @Test
    void shouldStandardiseADayAgainstThePoolByTheVarianceOfObservedMinusScaledExpected() {
        ObservedExpectedReference pool = new ObservedExpectedReference(50);
        // pool: 100 cases, O_P = 10, E_P = 10, V_P = 9: θ̂ = 1
        pool.pool(day(100, 10, 10.0, 9.0, 0));
        // day: O = 8, E = 5, V = 4.5, no skew.
        // inflation = 1 + E² V_P / (E_P² V) = 1 + 25 × 9 / (100 × 4.5) = 1.5
        // z = (8 − 1 × 5) / sqrt(1 × 4.5 × 1.5) = 3 / sqrt(6.75) = 1.1547005
        assertThat(pool.innovation(day(50, 8, 5.0, 4.5, 0))).isCloseTo(1.1547005, within(1e-6));

        // The same day with third cumulant 0.6 × 6.75^1.5: γ = k3 / V^1.5 / inflation^1.5 = 0.6;
        // z − γ (z² − 1) / 6 = 1.1547005 − 0.1 × (4/3 − 1) = 1.1213672 (z below the cap 3 / γ = 5)
        assertThat(pool.innovation(day(50, 8, 5.0, 4.5, 0.6 * Math.pow(6.75, 1.5))))
                .isCloseTo(1.1213672, within(1e-6));

        // A pool with θ̂ = 2 (O_P = 20 against E_P = 10): the day is expected to have 2 × 5 = 10 events and a
        // variance twice as large. z = (14 − 10) / sqrt(2 × 4.5 × 1.5) = 4 / sqrt(13.5) = 1.0886621
        ObservedExpectedReference doubled = new ObservedExpectedReference(50);
        doubled.pool(day(100, 20, 10.0, 9.0, 0));
        assertThat(doubled.innovation(day(50, 14, 5.0, 4.5, 0))).isCloseTo(1.0886621, within(1e-6));
        // Observed = θ̂ E is no change at all.
        assertThat(doubled.innovation(day(50, 10, 5.0, 4.5, 0))).isCloseTo(0.0, within(1e-12));
    }

    @Test
    void shouldGiveNoStepBeforeThePoolHoldsTheMinimumCasesAndAnEvent() {
        ObservedExpectedReference pool = new ObservedExpectedReference(50);
        ObservedExpectedReference.Day d = day(30, 3, 3.0, 2.7, 2.16);

        assertThat(pool.innovation(d)).as("empty pool").isNaN();
        pool.pool(d);
        assertThat(pool.n()).isEqualTo(30);
        assertThat(pool.innovation(d)).as("30 of 50 cases").isNaN();
        pool.pool(day(19, 1, 1.9, 1.71, 1.37));
        assertThat(pool.innovation(d)).as("49 of 50 cases").isNaN();
        pool.pool(day(1, 0, 0.1, 0.09, 0.072));
        assertThat(pool.n()).isEqualTo(50);
        assertThat(pool.innovation(d)).as("50 of 50 cases").isFinite();

        ObservedExpectedReference noEvents = new ObservedExpectedReference(10);
        noEvents.pool(day(100, 0, 5.0, 4.75, 4.3));
        assertThat(noEvents.innovation(d)).as("pool without an event").isNaN();

        assertThat(pool.innovation(day(0, 0, 0, 0, 0)))
                .as("day without labelled cases")
                .isNaN();
        assertThat(pool.innovation(day(5, 0, 0, 0, 0)))
                .as("day without outcome variance")
                .isNaN();
    }

    @Test
    void shouldPoolCasesEventsAndExpectedEventsWhenADayIsAdded() {
        ObservedExpectedReference pool = new ObservedExpectedReference(1);
        assertThat(pool.factor()).isNaN();
        pool.pool(day(100, 12, 10.0, 9.0, 8.0));
        assertThat(pool.n()).isEqualTo(100);
        assertThat(pool.factor()).isCloseTo(1.2, within(1e-12));
        pool.pool(day(50, 3, 5.0, 4.5, 4.0));
        assertThat(pool.n()).isEqualTo(150);
        // (12 + 3) / (10 + 5)
        assertThat(pool.factor()).isCloseTo(1.0, within(1e-12));
        // The pool's variance enters the inflation: V_P = 13.5, E_P = 15. Day O = 8, E = 5, V = 4.5:
        // inflation = 1 + 25 × 13.5 / (225 × 4.5) = 4/3; z = 3 / sqrt(4.5 × 4/3) = 3 / sqrt(6) = 1.2247449
        assertThat(pool.innovation(day(50, 8, 5.0, 4.5, 0))).isCloseTo(1.2247449, within(1e-6));
    }

    @Test
    void shouldBuildTheSeriesDayAgainstTheDaysBeforeIt() {
        List<ObservedExpectedReference.Day> days = List.of(
                new ObservedExpectedReference.Day(100, 100, 10, 10.0, 9.0, 0),
                new ObservedExpectedReference.Day(101, 50, 8, 5.0, 4.5, 0),
                new ObservedExpectedReference.Day(102, 50, 5, 5.0, 4.5, 0));
        DailyCusumSeries series = ObservedExpectedReference.series(days, 50);

        // Day 100 has no pool (no step); day 101 is the hand example above; day 102 against 150 cases,
        // O_P = 18, E_P = 15, V_P = 13.5: θ̂ = 1.2, inflation = 4/3, z = (5 − 6) / sqrt(1.2 × 6) = −0.372678
        assertThat(series.size()).isEqualTo(2);
        assertThat(series.days()).containsExactly(101, 102);
        // A CUSUM with k ≈ 0 and a threshold out of reach reads the steps back: upper side
        // max(0, 1.1547005 − 0.372678) = 0.7820225, lower side 0.372678.
        ChangeDetection.Path path = series.run(Cusum.of(1e-9, 1e9, Cusum.Side.TWO_SIDED));
        assertThat(path.statistic()).isCloseTo(0.7820225, within(1e-6));
        assertThat(path.steps()).isEqualTo(2);
        ObservedExpectedReference check = new ObservedExpectedReference(50);
        check.pool(days.get(0));
        check.pool(days.get(1));
        assertThat(check.innovation(days.get(2))).isCloseTo(-0.372678, within(1e-6));
    }

    @Test
    void shouldGiveUnitVarianceInnovationsForACalibratedModelAndPositiveOnesOnceOutcomesAreMoreLikely() {
        // 400 slices, 20 days of 200 cases with risk ~ Beta(1, 9) (20 expected events a day), calibrated, then
        // 10 days whose outcome odds are doubled. Calibrated days 10..19: mean 0, variance 1; the first
        // changed days: O − E ≈ 0.7 E at these risks, about 3 sd of a day against the 20-day pool (less the
        // skew correction, about 0.3 at γ ≈ 0.16).
        SplittableRandom random = new SplittableRandom(20_261_204L);
        double calibratedSum = 0;
        double calibratedSq = 0;
        int calibratedN = 0;
        double shiftedSum = 0;
        int shiftedN = 0;
        for (int s = 0; s < 400; s++) {
            List<ObservedExpectedReference.Day> days = new ArrayList<>();
            for (int d = 0; d < 30; d++) {
                days.add(draw(random, d, 200, 9, d >= 20 ? 2.0 : 1.0));
            }
            ObservedExpectedReference pool = new ObservedExpectedReference(50);
            for (int d = 0; d < 30; d++) {
                double z = pool.innovation(days.get(d));
                if (d >= 10 && d < 20) {
                    calibratedSum += z;
                    calibratedSq += z * z;
                    calibratedN++;
                } else if (d >= 20 && d < 23) {
                    shiftedSum += z;
                    shiftedN++;
                }
                pool.pool(days.get(d));
            }
        }
        double mean = calibratedSum / calibratedN;
        assertThat(mean).as("calibrated mean innovation").isCloseTo(0.0, within(0.06));
        assertThat(calibratedSq / calibratedN - mean * mean)
                .as("calibrated innovation variance")
                .isCloseTo(1.0, within(0.08));
        assertThat(shiftedSum / shiftedN).as("mean innovation of odds × 2").isGreaterThan(2.0);
    }

    @Test
    void shouldKeepTheSkewCorrectionIncreasingAndCappedForSmallDays() {
        // One expected event a day from 20 cases of risk 0.05: V = 0.95, k3 = 0.855. Pool: 2,000 cases, θ̂ = 1,
        // E_P = 100, V_P = 95: inflation = 1 + 1 × 95 / (100² × 0.95) = 1.01, γ = 0.855 / (0.95 × 1.01)^1.5 = 0.910;
        // the normal score peaks at z = 3 / γ with value 3/γ − γ (9/γ² − 1) / 6 = 1.5/γ + γ/6 = 1.80.
        ObservedExpectedReference pool = new ObservedExpectedReference(50);
        pool.pool(day(2_000, 100, 100.0, 95.0, 85.5));
        double gamma = 0.855 / Math.pow(0.95 * 1.01, 1.5);
        double cap = 1.5 / gamma + gamma / 6;
        assertThat(cap).isCloseTo(1.80, within(0.01));
        double previous = Double.NEGATIVE_INFINITY;
        for (int observed = 0; observed <= 20; observed++) {
            double x = pool.innovation(day(20, observed, 1.0, 0.95, 0.855));
            assertThat(x).as("%d events", observed).isGreaterThanOrEqualTo(previous);
            assertThat(x).as("%d events", observed).isLessThanOrEqualTo(cap + 1e-12);
            previous = x;
        }
        // 20 events in a day of one expected event: the plain z would be 19 / 0.98 = 19.4, the uncapped
        // Cornish-Fisher score 19.4 − 0.15 × (19.4² − 1) = −37.5; capped, it stays at the peak.
        assertThat(previous).isCloseTo(cap, within(1e-12));
        // Below the expectation the correction is small: 0 events, z = −1 / 0.98 = −1.021, minus
        // γ (z² − 1) / 6 = 0.006: −1.027.
        assertThat(pool.innovation(day(20, 0, 1.0, 0.95, 0.855))).isCloseTo(-1.027, within(0.001));

        // A negative third cumulant mirrors it: E = 6 with V = 0.95 gives inflation 1 + 36 × 0.01 = 1.36,
        // γ = −0.855 / (0.95 × 1.36)^1.5 = −0.582, z = −6 / sqrt(1.292) = −5.28 beyond 3 / γ = −5.15: floored at
        // 1.5/γ + γ/6 = −2.67.
        double negative = -0.855 / Math.pow(0.95 * 1.36, 1.5);
        double floor = 1.5 / negative + negative / 6;
        assertThat(floor).isCloseTo(-2.67, within(0.01));
        assertThat(pool.innovation(day(20, 0, 6.0, 0.95, -0.855))).isCloseTo(floor, within(1e-12));
        previous = Double.NEGATIVE_INFINITY;
        for (int observed = 0; observed <= 20; observed++) {
            double x = pool.innovation(day(20, observed, 6.0, 0.95, -0.855));
            assertThat(x).as("%d events", observed).isGreaterThanOrEqualTo(previous);
            assertThat(x).as("%d events", observed).isGreaterThanOrEqualTo(floor - 1e-12);
            previous = x;
        }
    }

    @Test
    void shouldRejectImpossibleDays() {
        assertThatThrownBy(() -> day(5, 6, 1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> day(5, 1, -1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> day(5, 1, 1, Double.NaN, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ObservedExpectedReference(0)).isInstanceOf(IllegalArgumentException.class);
    }

    /** A day of n cases, risks ~ Beta(1, b), outcomes at odds × r. */
    private static ObservedExpectedReference.Day draw(SplittableRandom random, long day, int n, int b, double r) {
        long o = 0;
        double e = 0;
        double v = 0;
        double k3 = 0;
        for (int i = 0; i < n; i++) {
            double p = 1 - Math.pow(random.nextDouble(), 1.0 / b);
            double truth = r * p / (1 - p + r * p);
            o += random.nextDouble() < truth ? 1 : 0;
            e += p;
            v += p * (1 - p);
            k3 += p * (1 - p) * (1 - 2 * p);
        }
        return new ObservedExpectedReference.Day(day, n, o, e, v, k3);
    }
}
