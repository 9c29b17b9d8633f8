package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.stats.golden.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ConfusionMatrixTest {

    private static final double TOL = 1e-9;

    static ConfusionMatrix of(Golden.Case c) {
        ConfusionMatrix m = new ConfusionMatrix(c.threshold());
        c.rows().forEach(r -> m.add(r.score(), r.label()));
        return m;
    }

    static void assertProportion(Estimate actual, JsonNode expected, String key) {
        assertThat(actual.value()).as(key).isCloseTo(expected.get(key).asDouble(), within(TOL));
        assertThat(actual.lower())
                .as(key + " lower")
                .isCloseTo(expected.get(key + "_ci").get(0).asDouble(), within(TOL));
        assertThat(actual.upper())
                .as(key + " upper")
                .isCloseTo(expected.get(key + "_ci").get(1).asDouble(), within(TOL));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.vigil.stats.golden.Golden#cases")
    void shouldMatchGoldenCountsAndWilsonRatesWhenFedGoldenScores(Golden.Case c) {
        ConfusionMatrix m = of(c);
        JsonNode g = c.expected();
        assertThat(new long[] {m.tp(), m.fp(), m.tn(), m.fn(), m.n(), m.positives()})
                .containsExactly(
                        g.get("tp").asLong(),
                        g.get("fp").asLong(),
                        g.get("tn").asLong(),
                        g.get("fn").asLong(),
                        g.get("n").asLong(),
                        g.get("positives").asLong());
        assertProportion(m.sensitivity(), g, "sensitivity");
        assertProportion(m.specificity(), g, "specificity");
        assertProportion(m.ppv(), g, "ppv");
        assertProportion(m.npv(), g, "npv");
        assertProportion(m.prevalence(), g, "prevalence");
        assertThat(m.predictedPositiveRate()).isEqualTo(Wilson.interval(m.tp() + m.fp(), m.n()));
    }

    @Test
    void shouldPredictPositiveWhenScoreEqualsThreshold() {
        ConfusionMatrix m = new ConfusionMatrix(0.5);
        m.add(0.5, 1);
        m.add(0.5, 0);
        m.add(0.4999999, 1);
        assertThat(new long[] {m.tp(), m.fp(), m.tn(), m.fn()}).containsExactly(1, 1, 0, 1);
    }

    @Test
    void shouldReturnEmptyRatesWhenNothingCounted() {
        ConfusionMatrix m = new ConfusionMatrix(0.5);
        assertThat(m.sensitivity()).isEqualTo(Estimate.EMPTY);
        assertThat(m.prevalence()).isEqualTo(Estimate.EMPTY);
        m.add(0.9, 1);
        assertThat(m.specificity()).isEqualTo(Estimate.EMPTY);
        assertThat(m.npv()).isEqualTo(Estimate.EMPTY);
        assertThat(m.sensitivity().value()).isEqualTo(1.0);
    }

    @Test
    void shouldRestoreStateWhenRemovingWhatWasAdded() {
        ConfusionMatrix m = new ConfusionMatrix(0.3);
        m.add(0.2, 0);
        ConfusionMatrix before = ConfusionMatrix.fromBytes(m.toBytes());
        m.add(0.7, 1);
        m.remove(0.7, 1);
        assertThat(m).isEqualTo(before);
    }

    @Test
    void shouldRejectRemovalWhenCellIsEmpty() {
        ConfusionMatrix m = new ConfusionMatrix(0.5);
        m.add(0.9, 0);
        assertThatThrownBy(() -> m.remove(0.9, 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("tp");
        assertThat(m.fp()).isEqualTo(1);
    }

    @Test
    void shouldRejectInputWhenScoreOrLabelOutOfRange() {
        ConfusionMatrix m = new ConfusionMatrix(0.5);
        assertThatThrownBy(() -> m.add(1.2, 1)).hasMessage("score must be in [0, 1], got 1.2");
        assertThatThrownBy(() -> m.add(Double.NaN, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.add(0.5, 2)).hasMessage("label must be 0 or 1, got 2");
    }

    @Test
    void shouldRejectMergeWhenThresholdsDiffer() {
        assertThatThrownBy(() -> new ConfusionMatrix(0.5).merge(new ConfusionMatrix(0.3)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRoundTripWhenSerialised() {
        ConfusionMatrix m = of(Golden.cases().findFirst().orElseThrow());
        byte[] bytes = m.toBytes();
        assertThat(ConfusionMatrix.fromBytes(bytes)).isEqualTo(m);
        assertThat(bytes.length).isLessThan(20);
    }
}
