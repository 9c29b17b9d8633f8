package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PrevalenceAdjustedTest {

    @Test
    void shouldMatchHandComputedValuesWhenPrevalenceIsTheReference() {
        // 40/50 positives detected, 90/100 negatives cleared: sens 0.8, spec 0.9; at prevalence 0.1
        // PPV = 0.08 / (0.08 + 0.1 * 0.9) = 8/17, NPV = 0.81 / (0.81 + 0.2 * 0.1) = 81/83.
        assertThat(PrevalenceAdjusted.ppv(40, 10, 10, 90, 0.1).value()).isCloseTo(8.0 / 17, within(1e-12));
        assertThat(PrevalenceAdjusted.npv(40, 10, 10, 90, 0.1).value()).isCloseTo(81.0 / 83, within(1e-12));
    }

    @Test
    void shouldEqualTheObservedPredictiveValuesWhenTheReferenceIsTheObservedPrevalence() {
        // Observed prevalence 50/150: Bayes gives back tp/(tp+fp) = 0.8 and tn/(tn+fn) = 0.9.
        assertThat(PrevalenceAdjusted.ppv(40, 10, 10, 90, 50.0 / 150).value()).isCloseTo(0.8, within(1e-12));
        assertThat(PrevalenceAdjusted.npv(40, 10, 10, 90, 50.0 / 150).value()).isCloseTo(0.9, within(1e-12));
    }

    @Test
    void shouldBoundByTheFormulaAtTheWilsonCornersWhenComputingTheInterval() {
        Estimate sens = Wilson.interval(40, 50, PrevalenceAdjusted.Z_JOINT);
        Estimate spec = Wilson.interval(90, 100, PrevalenceAdjusted.Z_JOINT);
        Estimate ppv = PrevalenceAdjusted.ppv(40, 10, 10, 90, 0.1);
        assertThat(ppv.lower()).isCloseTo(PrevalenceAdjusted.ppv(sens.lower(), spec.lower(), 0.1), within(1e-12));
        assertThat(ppv.upper()).isCloseTo(PrevalenceAdjusted.ppv(sens.upper(), spec.upper(), 0.1), within(1e-12));
        assertThat(ppv.lower()).isLessThan(8.0 / 17);
        assertThat(ppv.upper()).isGreaterThan(8.0 / 17);
        assertThat(ppv.n()).isEqualTo(150);
        // 97.5% two-sided quantile of the normal.
        assertThat(PrevalenceAdjusted.Z_JOINT)
                .isCloseTo(
                        org.apache.commons.statistics.distribution.NormalDistribution.of(0, 1)
                                .inverseCumulativeProbability(1 - 0.025 / 2),
                        within(1e-12));
    }

    @Test
    void shouldBeEmptyWithoutPositivesOrNegativesAndRejectADegeneratePrevalence() {
        assertThat(PrevalenceAdjusted.ppv(0, 0, 10, 90, 0.1).isEmpty()).isTrue();
        assertThat(PrevalenceAdjusted.npv(40, 10, 0, 0, 0.1).isEmpty()).isTrue();
        assertThatThrownBy(() -> PrevalenceAdjusted.ppv(40, 10, 10, 90, 0.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prevalence");
    }

    @Test
    void shouldMatchNewcombesPublishedIntervalsWhenTheReferenceWasCounted() {
        // Newcombe (1998), Stat Med 17:873, Table II, method 10 (hybrid score), to the four decimals published.
        assertShift(56, 70, 48, 80, 0.2, 0.0524, 0.3339);
        assertShift(9, 10, 3, 10, 0.6, 0.1705, 0.8090);
        assertShift(5, 56, 0, 29, 5.0 / 56, -0.0381, 0.1926);
    }

    private static void assertShift(long k, long n, long refK, long refN, double d, double lower, double upper) {
        Estimate ref = Wilson.interval(refK, refN);
        Estimate shift = PrevalenceAdjusted.shift(k, n, ref.value(), ref.lower(), ref.upper());
        assertThat(shift.value()).isCloseTo(d, within(1e-12));
        assertThat(shift.lower()).isCloseTo(lower, within(5e-5));
        assertThat(shift.upper()).isCloseTo(upper, within(5e-5));
        assertThat(shift.n()).isEqualTo(n);
    }

    @Test
    void shouldShiftTheWilsonIntervalWhenTheReferenceIsKnown() {
        Estimate wilson = Wilson.interval(30, 200);
        Estimate shift = PrevalenceAdjusted.shift(30, 200, 0.1, 0.1, 0.1);
        assertThat(shift.value()).isCloseTo(0.05, within(1e-12));
        assertThat(shift.lower()).isCloseTo(wilson.lower() - 0.1, within(1e-12));
        assertThat(shift.upper()).isCloseTo(wilson.upper() - 0.1, within(1e-12));
        assertThat(PrevalenceAdjusted.shift(0, 0, 0.1, 0.1, 0.1).isEmpty()).isTrue();
        assertThatThrownBy(() -> PrevalenceAdjusted.shift(3, 10, 0.2, 0.25, 0.3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reference prevalence");
    }
}
