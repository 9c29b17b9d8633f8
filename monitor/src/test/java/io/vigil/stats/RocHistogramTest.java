package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.stats.golden.Golden;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RocHistogramTest {

    /** Golden uses exact scores; the binned DeLong interval may differ by this much (brief). */
    private static final double DELONG_BOUND_TOL = 0.005;

    static RocHistogram of(Golden.Case c) {
        RocHistogram h = new RocHistogram();
        c.rows().forEach(r -> h.add(r.score(), r.label()));
        return h;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.vigil.stats.golden.Golden#cases")
    void shouldMatchGoldenAucWithinPublishedBoundWhenFedGoldenScores(Golden.Case c) {
        AucEstimate a = of(c).auc();
        JsonNode g = c.expected();
        assertThat(a.binningErrorBound()).isBetween(0.0, 1e-4);
        assertThat(Math.abs(a.auc().value() - g.get("auc").asDouble()))
                .isLessThanOrEqualTo(a.binningErrorBound() + 1e-12);
        assertThat(a.auc().n()).isEqualTo(g.get("n").asLong());
        // Golden's variance is for the exact scores: binning moves placements by at most the bound.
        assertThat(a.variance())
                .isCloseTo(
                        g.get("auc_delong_variance").asDouble(),
                        within(0.01 * g.get("auc_delong_variance").asDouble()));
        // The interval is DeLong's on the logit scale: from the golden AUC and variance (scikit-learn / the
        // reference DeLong), expit(logit A ± t sqrt(V) / (A (1 - A))), t with min(P, N) - 1 df.
        double auc = g.get("auc").asDouble();
        long positives = g.get("positives").asLong();
        double t = org.apache.commons.statistics.distribution.TDistribution.of(
                        Math.min(positives, g.get("n").asLong() - positives) - 1)
                .inverseSurvivalProbability(0.025);
        double half = t * Math.sqrt(g.get("auc_delong_variance").asDouble()) / (auc * (1 - auc));
        double logit = Math.log(auc / (1 - auc));
        assertThat(a.auc().lower()).isCloseTo(1 / (1 + Math.exp(-(logit - half))), within(DELONG_BOUND_TOL));
        assertThat(a.auc().upper()).isCloseTo(1 / (1 + Math.exp(-(logit + half))), within(DELONG_BOUND_TOL));
        // Asymmetric the right way: more room towards 0.5 than towards 1.
        assertThat(auc - a.auc().lower()).isGreaterThan(a.auc().upper() - auc);
    }

    @Test
    void shouldGiveAnIntervalThatExcludesNeitherOneNorTheTruthWhenTenPositivesAreAllRankedFirst() {
        RocHistogram h = new RocHistogram();
        for (int i = 0; i < 10; i++) {
            h.add(0.9 + i / 1000.0, 1);
            h.add(0.1 + i / 1000.0, 0);
        }
        Estimate e = h.auc().auc();
        // AUC 1 with a DeLong variance of 0: the Wald interval would be [1, 1], excluding every true AUC
        // below 1. Hanley-McNeil's variance at A' = 100.5/101 gives about [0.96, 1]: not a point, not [0, 1].
        assertThat(e.value()).isEqualTo(1.0);
        assertThat(e.upper()).isLessThanOrEqualTo(1.0).isGreaterThan(0.99);
        assertThat(e.lower()).isBetween(0.8, 0.97);
    }

    @Test
    void shouldBeExactWhenScoresHaveFewerDecimalsThanBinWidth() {
        RocHistogram h = new RocHistogram();
        Golden.wdbc().forEach(r -> h.add(r.score(), r.label()));
        // wdbc golden auc 0.9897468421330796; 100,000 bins separate all its distinct scores
        assertThat(h.auc().binningErrorBound()).isZero();
        assertThat(h.auc().auc().value()).isCloseTo(0.9897468421330796, within(1e-12));
    }

    @Test
    void shouldCountTiesAsHalfWhenClassesShareABin() {
        RocHistogram h = new RocHistogram(10);
        h.add(0.55, 1);
        h.add(0.51, 0);
        h.add(0.9, 1);
        h.add(0.1, 0);
        // pairs: (0.55 vs 0.51) tie in bin 5 -> 1/2; the other three pairs ordered -> 3.5/4
        AucEstimate a = h.auc();
        assertThat(a.auc().value()).isEqualTo(0.875);
        assertThat(a.binningErrorBound()).isEqualTo(0.125);
        assertThat(a.variance()).isGreaterThan(0.0);
    }

    @Test
    void shouldReturnEmptyWhenOneClassIsMissing() {
        RocHistogram h = new RocHistogram();
        assertThat(h.auc()).isEqualTo(AucEstimate.EMPTY);
        h.add(0.3, 1);
        h.add(0.4, 1);
        assertThat(h.auc().isEmpty()).isTrue();
    }

    @Test
    void shouldSpanUnitIntervalWhenAClassHasOneCase() {
        RocHistogram h = new RocHistogram();
        h.add(0.8, 1);
        h.add(0.2, 0);
        h.add(0.3, 0);
        AucEstimate a = h.auc();
        assertThat(a.auc().value()).isEqualTo(1.0);
        assertThat(a.variance()).isNaN();
        assertThat(a.auc().lower()).isZero();
        assertThat(a.auc().upper()).isEqualTo(1.0);
    }

    @Test
    void shouldRestoreStateWhenRandomHalfIsRemoved() {
        SplittableRandom rnd = new SplittableRandom(7);
        RocHistogram all = new RocHistogram();
        RocHistogram kept = new RocHistogram();
        boolean[] drop = new boolean[Golden.fleet().size()];
        for (int i = 0; i < drop.length; i++) {
            var r = Golden.fleet().get(i);
            all.add(r.score(), r.label());
            drop[i] = rnd.nextBoolean();
            if (!drop[i]) {
                kept.add(r.score(), r.label());
            }
        }
        for (int i = 0; i < drop.length; i++) {
            if (drop[i]) {
                all.remove(Golden.fleet().get(i).score(), Golden.fleet().get(i).label());
            }
        }
        assertThat(all).isEqualTo(kept);
        assertThat(all.auc()).isEqualTo(kept.auc());
    }

    @Test
    void shouldEqualWholeWhenHalvesAreMerged() {
        RocHistogram whole = new RocHistogram();
        RocHistogram first = new RocHistogram();
        RocHistogram second = new RocHistogram();
        for (int i = 0; i < Golden.fleet().size(); i++) {
            var r = Golden.fleet().get(i);
            whole.add(r.score(), r.label());
            (i % 3 == 0 ? first : second).add(r.score(), r.label());
        }
        first.merge(second);
        assertThat(first).isEqualTo(whole);
    }

    @Test
    void shouldRoundTripWhenSerialised() {
        RocHistogram h = new RocHistogram();
        Golden.fleet().forEach(r -> h.add(r.score(), r.label()));
        byte[] bytes = h.toBytes();
        RocHistogram back = RocHistogram.fromBytes(bytes);
        assertThat(back).isEqualTo(h);
        assertThat(back.auc()).isEqualTo(h.auc());
        // sparse delta encoding: a few bytes per occupied bin, not per event
        assertThat(bytes.length).isLessThan(6 * h.occupiedBins());
    }

    @Test
    void shouldRejectRemovalWhenBinIsEmpty() {
        RocHistogram h = new RocHistogram();
        h.add(0.5, 0);
        assertThatThrownBy(() -> h.remove(0.5, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> h.remove(0.7, 0)).isInstanceOf(IllegalStateException.class);
        assertThat(h.negatives()).isEqualTo(1);
    }

    @Test
    void shouldRejectStateWhenBytesAreTruncated() {
        RocHistogram h = new RocHistogram();
        h.add(0.5, 0);
        byte[] bytes = h.toBytes();
        assertThatThrownBy(() -> RocHistogram.fromBytes(java.util.Arrays.copyOf(bytes, bytes.length - 1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
