package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class WilsonTest {

    @Test
    void shouldMatchGoldenIntervalWhenWdbcPrevalence() {
        // golden.json wdbc threshold_0.5 prevalence_ci: 212 of 569
        Estimate e = Wilson.interval(212, 569);
        assertThat(e.value()).isCloseTo(0.37258347978910367, within(1e-12));
        assertThat(e.lower()).isCloseTo(0.333835509125589, within(1e-9));
        assertThat(e.upper()).isCloseTo(0.41304035370300096, within(1e-9));
        assertThat(e.n()).isEqualTo(569);
    }

    @Test
    void shouldStayInsideUnitIntervalWhenAllOrNoneSucceed() {
        // golden.json wdbc reliability bin 5: 4 of 4 -> [0.5101091635454027, 1.0]
        Estimate all = Wilson.interval(4, 4);
        assertThat(all.lower()).isCloseTo(0.5101091635454027, within(1e-9));
        assertThat(all.upper()).isCloseTo(1.0, within(1e-12));
        Estimate none = Wilson.interval(0, 4);
        assertThat(none.lower()).isCloseTo(0.0, within(1e-12));
        assertThat(none.upper()).isCloseTo(1 - 0.5101091635454027, within(1e-9));
    }

    @Test
    void shouldInvertTheScoreTestAtAnyQuantileWhenZIsGiven() {
        // The Wilson bounds are the p0 at which the score statistic |p - p0| / sqrt(p0 (1 - p0) / n) equals z;
        // at z = 1.96 the overload is the 95% interval.
        assertThat(Wilson.interval(78, 100, Estimate.Z95)).isEqualTo(Wilson.interval(78, 100));
        double z = 3.023341439739056; // two-sided 1 - 0.05/20
        Estimate e = Wilson.interval(78, 100, z);
        for (double p0 : new double[] {e.lower(), e.upper()}) {
            assertThat(Math.abs(0.78 - p0) / Math.sqrt(p0 * (1 - p0) / 100)).isCloseTo(z, within(1e-9));
        }
        assertThat(e.lower()).isLessThan(Wilson.interval(78, 100).lower());
        assertThatThrownBy(() -> Wilson.interval(1, 2, 0.0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldReturnEmptyWhenDenominatorIsZero() {
        assertThat(Wilson.interval(0, 0)).isEqualTo(Estimate.EMPTY);
        assertThat(Wilson.twoProportionPValue(0, 0, 3, 10)).isNaN();
    }

    @Test
    void shouldRejectCountsWhenSuccessesExceedTrials() {
        assertThatThrownBy(() -> Wilson.interval(5, 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("k must be in [0, n=4], got 5");
    }

    @Test
    void shouldMatchPearsonChiSquareWhenTestingTwoProportions() {
        // SciPy: chi2_contingency([[45,55],[30,70]], correction=False) p = 0.028459736916310638;
        // the pooled z test is the same test (z² = chi²).
        assertThat(Wilson.twoProportionPValue(45, 100, 30, 100)).isCloseTo(0.028459736916310638, within(1e-12));
        assertThat(Wilson.twoProportionZ(45, 100, 30, 100)).isCloseTo(2.1908902300206647, within(1e-12));
        assertThat(Wilson.twoProportionZ(30, 100, 45, 100)).isCloseTo(-2.1908902300206647, within(1e-12));
        // chi2_contingency([[120,880],[95,905]], correction=False) p = 0.07111406169644618
        assertThat(Wilson.twoProportionPValue(120, 1000, 95, 1000)).isCloseTo(0.07111406169644618, within(1e-12));
    }

    @Test
    void shouldReturnPValueOneWhenPooledRateIsDegenerate() {
        assertThat(Wilson.twoProportionPValue(0, 50, 0, 80)).isEqualTo(1.0);
        assertThat(Wilson.twoProportionPValue(50, 50, 80, 80)).isEqualTo(1.0);
    }
}
