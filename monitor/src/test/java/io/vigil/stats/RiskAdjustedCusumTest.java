package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RiskAdjustedCusumTest {

    /** Reference risks: logistic of N(-1.5, 1), mean about 0.22. */
    private static double[] riskScores() {
        Random rnd = new Random(3);
        double[] p = new double[500];
        for (int i = 0; i < p.length; i++) {
            p[i] = 1 / (1 + Math.exp(-(rnd.nextGaussian() - 1.5)));
        }
        return p;
    }

    @Test
    void shouldWeighCasesAsSteinerWhenOutcomeKnown() {
        // R = 2, p = 0.2: event ln 2 - ln 1.2 = 0.5108; non-event -ln 1.2 = -0.1823
        assertThat(RiskAdjustedCusum.weight(2, 0.2, true)).isCloseTo(Math.log(2 / 1.2), within(1e-12));
        assertThat(RiskAdjustedCusum.weight(2, 0.2, false)).isCloseTo(-Math.log(1.2), within(1e-12));
        // R = 0.5, p = 0.2: event ln 0.5 - ln 0.9; non-event -ln 0.9 > 0
        assertThat(RiskAdjustedCusum.weight(0.5, 0.2, false)).isCloseTo(-Math.log(0.9), within(1e-12));

        RiskAdjustedCusum c = new RiskAdjustedCusum(2, 1.0);
        RiskAdjustedCusum.Step s1 = c.update(RiskAdjustedCusum.State.INITIAL, 0.2, true);
        RiskAdjustedCusum.Step s2 = c.update(s1.state(), 0.2, true);
        assertThat(s1.statistic()).isCloseTo(0.5108256, within(1e-6));
        assertThat(s2.alarm()).isTrue();
        assertThat(s2.changeTime()).isEqualTo(1);
        assertThat(s2.state().s()).isZero();
    }

    /**
     * h is chosen on one seed with 400 runs; the ARL0 is then checked on an independent seed with
     * 2000 runs. Relative Monte Carlo errors are about 5% and 2.2%, so ±20% is a wide margin.
     */
    @Test
    void shouldReachTargetArl0WhenThresholdChosenBySimulation() {
        double[] risks = riskScores();
        double target = 200;
        for (double r : new double[] {2.0, 0.5}) {
            double h = RiskAdjustedCusum.thresholdForArl0(r, target, risks, 400, 1L);
            double check = RiskAdjustedCusum.simulatedArl0(r, h, risks, 2000, 99L, 100_000);

            assertThat(h).as("R=%s", r).isBetween(0.5, 10.0);
            assertThat(check).as("R=%s", r).isCloseTo(target, within(0.2 * target));
        }
    }

    @Test
    void shouldAlarmSoonerWhenOddsDoubled() {
        double[] risks = riskScores();
        double h = RiskAdjustedCusum.thresholdForArl0(2.0, 200, risks, 400, 1L);
        double inControl = RiskAdjustedCusum.simulatedArl(2.0, h, risks, 1.0, 1000, 5L, 100_000);
        double doubled = RiskAdjustedCusum.simulatedArl(2.0, h, risks, 2.0, 1000, 5L, 100_000);

        assertThat(doubled).isLessThan(inControl / 3);
    }

    @Test
    void shouldRoundTripStateWhenSerialised() {
        RiskAdjustedCusum.State s = new RiskAdjustedCusum.State(1.5, 17, 12);

        assertThat(RiskAdjustedCusum.State.fromBytes(s.toBytes())).isEqualTo(s);
    }
}
