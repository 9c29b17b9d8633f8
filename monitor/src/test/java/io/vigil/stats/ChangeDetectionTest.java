package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ChangeDetectionTest {

    @Test
    void shouldMatchTheResettingCusumUpToItsFirstAlarmWhenGivenTheSameSeries() {
        Cusum c = Cusum.forShift(1.0, 365, Cusum.Side.TWO_SIDED);
        SplittableRandom rnd = new SplittableRandom(3);
        double[] x = new double[80];
        for (int t = 0; t < x.length; t++) {
            x[t] = gaussian(rnd) + (t >= 50 ? 1.5 : 0);
        }
        Cusum.State s = Cusum.State.INITIAL;
        int first = -1;
        long change = -1;
        for (int t = 0; t < x.length && first < 0; t++) {
            Cusum.Step step = c.update(s, x[t]);
            s = step.state();
            if (step.isAlarm()) {
                first = t;
                change = step.changeTime();
            }
        }
        ChangeDetection.Path path = ChangeDetection.cusum(c, java.util.Arrays.copyOf(x, first + 1));
        assertThat(first).isGreaterThan(50);
        assertThat(path.firstAlarm()).isEqualTo(first);
        assertThat(path.alarm()).isTrue();
        assertThat(path.direction()).isEqualTo(Cusum.Direction.UP);
        // Cusum counts steps from 1; the path indexes from 0.
        assertThat(path.changeIndex()).isEqualTo(change - 1);
        assertThat(path.threshold()).isEqualTo(c.h());
    }

    @Test
    void shouldRunAboutTheTargetArl0WhenInControl() {
        // Two-sided, target 365 days; Monte Carlo error of the mean of 2000 near-geometric run lengths ~2.2%.
        Cusum c = Cusum.forShift(1.0, 365, Cusum.Side.TWO_SIDED);
        SplittableRandom rnd = new SplittableRandom(17);
        int runs = 2000;
        double total = 0;
        for (int r = 0; r < runs; r++) {
            double up = 0;
            double lo = 0;
            int t = 0;
            while (true) {
                t++;
                double x = gaussian(rnd);
                up = Math.max(0, up + x - c.k());
                lo = Math.max(0, lo - x - c.k());
                if (Math.max(up, lo) > c.h() || t >= 20_000) {
                    break;
                }
            }
            total += t;
        }
        // Siegmund's approximation is within a few percent for Gaussian steps; allow 15% in all.
        assertThat(total / runs).isCloseTo(365, within(0.15 * 365));
    }

    @Test
    void shouldStayAtOrBelowTheCaseLevelRiskAdjustedCusumWhenSummedByDay() {
        SplittableRandom rnd = new SplittableRandom(5);
        double r = 2.0;
        RiskAdjustedCusum caseLevel = new RiskAdjustedCusum(r, 1e9);
        RiskAdjustedCusum.State s = RiskAdjustedCusum.State.INITIAL;
        int days = 60;
        double[] sums = new double[days];
        double[] caseAtDayEnd = new double[days];
        for (int d = 0; d < days; d++) {
            int n = 1 + rnd.nextInt(20);
            double[] p = new double[n];
            boolean[] y = new boolean[n];
            for (int i = 0; i < n; i++) {
                p[i] = 0.05 + 0.5 * rnd.nextDouble();
                // Odds tripled from day 30: the risk-adjusted CUSUM should climb.
                double odds = p[i] / (1 - p[i]) * (d >= 30 ? 3 : 1);
                y[i] = rnd.nextDouble() < odds / (1 + odds);
                s = caseLevel.update(s, p[i], y[i]).state();
            }
            sums[d] = ChangeDetection.dailyWeightSum(r, p, y);
            caseAtDayEnd[d] = s.s();
        }
        for (int d = 1; d <= days; d++) {
            ChangeDetection.Path path = ChangeDetection.riskAdjusted(java.util.Arrays.copyOf(sums, d), 1e9);
            assertThat(path.statistic()).isLessThanOrEqualTo(caseAtDayEnd[d - 1] + 1e-9);
        }
        double[] risks = new double[200];
        for (int i = 0; i < risks.length; i++) {
            risks[i] = 0.05 + 0.5 * i / risks.length;
        }
        // h for an in-control ARL of 20,000 cases (about 5 years at these volumes): over the 300 in-control
        // cases a false alarm has probability about 1.5%.
        double h = RiskAdjustedCusum.thresholdForArl0(r, 20_000, risks, 400, 11);
        ChangeDetection.Path path = ChangeDetection.riskAdjusted(sums, h);
        assertThat(path.firstAlarm()).isGreaterThanOrEqualTo(30);
        assertThat(path.alarm()).isTrue();
        // The change estimate is the start of the excursion that alarmed: here an in-control excursion from
        // day 14 had not returned to 0 when the shift began, so the estimate is early but not before it.
        assertThat(path.changeIndex()).isBetween(10, path.firstAlarm());
    }

    @Test
    void shouldEqualTheCaseLevelPathWhenEachDayHasOneCase() {
        double r = 0.5;
        double[] p = {0.2, 0.4, 0.1, 0.3, 0.6};
        boolean[] y = {false, false, true, false, false};
        RiskAdjustedCusum c = new RiskAdjustedCusum(r, 100);
        RiskAdjustedCusum.State s = RiskAdjustedCusum.State.INITIAL;
        double[] sums = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            s = c.update(s, p[i], y[i]).state();
            sums[i] = ChangeDetection.dailyWeightSum(r, new double[] {p[i]}, new boolean[] {y[i]});
        }
        assertThat(ChangeDetection.riskAdjusted(sums, 100).statistic()).isCloseTo(s.s(), within(1e-12));
    }

    private static double gaussian(SplittableRandom rnd) {
        double u1 = rnd.nextDouble();
        double u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
