package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.stats.golden.Golden;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CalibrationStatsTest {

    /** Fixed-point sums round each term by at most 1.2e-10, far inside the brief's 1e-6. */
    private static final double TOL = 1e-6;

    static CalibrationStats of(Golden.Case c) {
        CalibrationStats s = new CalibrationStats();
        c.rows().forEach(r -> s.add(r.score(), r.label()));
        return s;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.vigil.stats.golden.Golden#cases")
    void shouldMatchGoldenCalibrationWhenFedGoldenScores(Golden.Case c) {
        CalibrationStats s = of(c);
        JsonNode g = c.expected();
        assertThat(s.n()).isEqualTo(g.get("n").asLong());
        assertThat(s.brier().value()).isCloseTo(g.get("brier").asDouble(), within(TOL));
        assertThat(s.logLoss().value()).isCloseTo(g.get("log_loss").asDouble(), within(TOL));
        assertThat(s.ecePlugIn().value()).isCloseTo(g.get("ece_10").asDouble(), within(TOL));
        assertThat(s.ecePlugIn().n()).isEqualTo(g.get("n").asLong());
        assertThat(s.mce().value()).isCloseTo(g.get("mce_10").asDouble(), within(TOL));
        BrierDecomposition d = s.brierDecomposition();
        assertThat(d.reliability()).isCloseTo(g.get("brier_reliability_10").asDouble(), within(TOL));
        assertThat(d.resolution()).isCloseTo(g.get("brier_resolution_10").asDouble(), within(TOL));
        assertThat(d.uncertainty()).isCloseTo(g.get("brier_uncertainty").asDouble(), within(TOL));
        double oe = g.get("observed_expected_ratio").asDouble();
        Estimate ratio = s.observedExpectedRatio();
        assertThat(ratio.value()).isCloseTo(oe, within(TOL));
        // Poisson-binomial variance of O from the golden (scikit-learn) reliability bins, recalibrated in the large.
        double variance = 0;
        for (JsonNode bin : g.get("reliability_bins")) {
            if (bin.get("n").asLong() > 0) {
                double q = Math.min(1, bin.get("mean_score").asDouble() * oe);
                variance += bin.get("n").asLong() * q * (1 - q);
            }
        }
        double half = Estimate.Z95 * Math.sqrt(variance) / g.get("positives").asDouble();
        assertThat(ratio.lower()).isCloseTo(Math.exp(Math.log(oe) - half), within(TOL));
        assertThat(ratio.upper()).isCloseTo(Math.exp(Math.log(oe) + half), within(TOL));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.vigil.stats.golden.Golden#cases")
    void shouldMatchGoldenReliabilityBinsWhenFedGoldenScores(Golden.Case c) {
        List<ReliabilityBin> bins = of(c).reliabilityBins();
        JsonNode g = c.expected().get("reliability_bins");
        assertThat(bins).hasSize(10);
        for (int k = 0; k < 10; k++) {
            ReliabilityBin b = bins.get(k);
            JsonNode e = g.get(k);
            assertThat(b.bin()).isEqualTo(e.get("bin").asInt());
            assertThat(b.n()).as("n of bin %d", k).isEqualTo(e.get("n").asLong());
            if (b.n() == 0) {
                assertThat(b.observedRate()).isEqualTo(Estimate.EMPTY);
                continue;
            }
            assertThat(b.meanScore())
                    .as("mean of bin %d", k)
                    .isCloseTo(e.get("mean_score").asDouble(), within(TOL));
            assertThat(b.observedRate().value())
                    .isCloseTo(e.get("observed_rate").asDouble(), within(1e-9));
            assertThat(b.observedRate().lower())
                    .isCloseTo(e.get("observed_ci").get(0).asDouble(), within(1e-9));
            assertThat(b.observedRate().upper())
                    .isCloseTo(e.get("observed_ci").get(1).asDouble(), within(1e-9));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.vigil.stats.golden.Golden#cases")
    void shouldGiveNormalBrierIntervalWhenComputedFromSquaredErrors(Golden.Case c) {
        // independent two-pass computation over the raw cases
        int n = c.rows().size();
        double mean = c.rows().stream()
                        .mapToDouble(r -> (r.score() - r.label()) * (r.score() - r.label()))
                        .sum()
                / n;
        double ss = c.rows().stream()
                .mapToDouble(r -> {
                    double e2 = (r.score() - r.label()) * (r.score() - r.label());
                    return (e2 - mean) * (e2 - mean);
                })
                .sum();
        double half = Estimate.Z95 * Math.sqrt(ss / (n - 1) / n);
        Estimate brier = of(c).brier();
        assertThat(brier.lower()).isCloseTo(Math.max(0, mean - half), within(1e-9));
        assertThat(brier.upper()).isCloseTo(mean + half, within(1e-9));
        assertThat(brier.n()).isEqualTo(n);
    }

    @Test
    void shouldPlaceScoreOneInLastBinWhenBinning() {
        assertThat(CalibrationStats.binOf(1.0)).isEqualTo(9);
        assertThat(CalibrationStats.binOf(0.1)).isEqualTo(1);
        assertThat(CalibrationStats.binOf(0.0999999)).isZero();
    }

    @Test
    void shouldClipLogLossWhenScoreIsCertainAndWrong() {
        CalibrationStats s = new CalibrationStats();
        s.add(1.0, 0);
        // as numpy: 1 - clip(1.0, 1e-15, 1 - 1e-15) is 9.992e-16 in double arithmetic, not 1e-15
        assertThat(s.logLoss().value()).isCloseTo(-Math.log(1 - (1 - 1e-15)), within(1e-9));
        assertThat(s.logLoss().value()).isCloseTo(34.5396, within(1e-4));
    }

    @Test
    void shouldReturnEmptyWhenNothingCounted() {
        CalibrationStats s = new CalibrationStats();
        assertThat(s.brier()).isEqualTo(Estimate.EMPTY);
        assertThat(s.logLoss()).isEqualTo(Estimate.EMPTY);
        assertThat(s.ece()).isEqualTo(Estimate.EMPTY);
        assertThat(s.mce()).isEqualTo(Estimate.EMPTY);
        assertThat(s.observedExpectedRatio()).isEqualTo(Estimate.EMPTY);
        assertThat(s.brierDecomposition()).isEqualTo(BrierDecomposition.EMPTY);
        assertThat(s.reliabilityBins())
                .allSatisfy(b -> assertThat(b.observedRate()).isEqualTo(Estimate.EMPTY));
    }

    @Test
    void shouldTakeTheObservedExpectedIntervalFromThePoissonBinomialVarianceWhenProbabilitiesAreLarge() {
        CalibrationStats s = new CalibrationStats();
        s.add(0.5, 1);
        s.add(0.5, 1);
        s.add(0.5, 0);
        s.add(0.5, 0);
        // O = 2, E = 2; Var(O) = 4 * 0.5 * 0.5 = 1, SE(ln O/E) = 1/2. The Poisson variance O = 2 gave SE 0.707.
        Estimate oe = s.observedExpectedRatio();
        assertThat(oe.value()).isEqualTo(1.0);
        assertThat(oe.lower()).isCloseTo(Math.exp(-Estimate.Z95 * 0.5), within(1e-12));
        assertThat(oe.upper()).isCloseTo(Math.exp(Estimate.Z95 * 0.5), within(1e-12));
    }

    @Test
    void shouldUseExactPoissonUpperBoundWhenNoOutcomeObserved() {
        CalibrationStats s = new CalibrationStats();
        s.add(0.25, 0);
        s.add(0.25, 0);
        Estimate oe = s.observedExpectedRatio();
        assertThat(oe.value()).isZero();
        assertThat(oe.lower()).isZero();
        assertThat(oe.upper()).isCloseTo(-Math.log(0.025) / 0.5, within(1e-9));
    }

    @Test
    void shouldRestoreExactStateWhenRandomHalfIsRemoved() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(11);
        CalibrationStats all = new CalibrationStats();
        CalibrationStats kept = new CalibrationStats();
        List<Golden.Row> rows = Golden.wdbc();
        boolean[] drop = new boolean[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            all.add(rows.get(i).score(), rows.get(i).label());
            drop[i] = rnd.nextBoolean();
            if (!drop[i]) {
                kept.add(rows.get(i).score(), rows.get(i).label());
            }
        }
        for (int i = rows.size() - 1; i >= 0; i--) {
            if (drop[i]) {
                all.remove(rows.get(i).score(), rows.get(i).label());
            }
        }
        assertThat(all).isEqualTo(kept);
        assertThat(all.brier()).isEqualTo(kept.brier());
        assertThat(all.ece()).isEqualTo(kept.ece());
    }

    @Test
    void shouldEqualWholeWhenHalvesAreMergedAndRoundTripped() {
        CalibrationStats whole = new CalibrationStats();
        CalibrationStats first = new CalibrationStats();
        CalibrationStats second = new CalibrationStats();
        for (int i = 0; i < Golden.fleet().size(); i++) {
            Golden.Row r = Golden.fleet().get(i);
            whole.add(r.score(), r.label());
            (i < 10_000 ? first : second).add(r.score(), r.label());
        }
        CalibrationStats merged = CalibrationStats.fromBytes(second.toBytes());
        merged.merge(CalibrationStats.fromBytes(first.toBytes()));
        assertThat(merged).isEqualTo(whole);
        assertThat(CalibrationStats.fromBytes(whole.toBytes())).isEqualTo(whole);
    }

    @Test
    void shouldRejectRemovalWhenBinHasNoSuchOutcome() {
        CalibrationStats s = new CalibrationStats();
        s.add(0.15, 0);
        assertThatThrownBy(() -> s.remove(0.15, 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("bin 1");
        assertThat(s.n()).isEqualTo(1);
    }
}
