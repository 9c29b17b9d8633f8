package io.vigil.verification;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.verification.Claim.Status;
import io.vigil.verification.WorstSliceClaims.Metric;
import io.vigil.verification.WorstSliceClaims.Setting;
import io.vigil.verification.WorstSliceClaims.Target;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reduced worst-slice run of {@code vigil verify-statistics} (issue 18, Must 7): through the performance
 * stage and {@link io.vigil.metrics.WorstSlices}, the selected worst slice's simultaneous interval covers that
 * slice's true value and gap at nominal − 3 Monte-Carlo SE, and at least 0.93 at k = 20; its ordinary 95%
 * interval does not. The full table (4,000 replicates) is in docs/STATISTICAL-VALIDATION.md.
 */
class WorstSliceClaimsTest {
    private static final int REPLICATES = 300;
    private static final long SEED = 20_261_203L;

    @Test
    void shouldCoverTheSelectedSlicesTrueValueAndGapWhenTheIntervalIsSimultaneousOverTheSlicesCompared() {
        List<MonteCarlo.Result> results = StatisticsReport.run(WorstSliceClaims.claimed(), REPLICATES, SEED);

        assertThat(results).hasSize(12).allSatisfy(r -> {
            assertThat(r.meetsNominal())
                    .as("%s, %s: measured %.3f", r.claim().quantity(), r.claim().setting(), r.measured())
                    .isTrue();
            if (r.claim().setting().startsWith("k = 20 ")) {
                assertThat(r.measured())
                        .as("%s, %s", r.claim().quantity(), r.claim().setting())
                        .isGreaterThanOrEqualTo(0.93);
            }
        });
        assertThat(StatisticsReport.claimsHold(results)).isTrue();
    }

    @Test
    void shouldShowThatTheSelectedSlicesOwnIntervalUnderCovers() {
        // What Vigil reported before issue 18: the worst of 20 alike slices with its ordinary 95% interval. The
        // minimum of 20 alike estimates is below its truth by more than 1.96 SE with probability about
        // 1 - 0.975^20 = 0.40, so its interval covers about 0.60 (the audit's 0.76 to 0.81 was for slices
        // whose true values differ, where the selection matters less: the table's "spread" rows).
        Setting equal = new Setting(20, 200, 0.5, false);
        for (Metric m : Metric.values()) {
            MonteCarlo.Result old =
                    MonteCarlo.run(WorstSliceClaims.claim(m, Target.UNADJUSTED, equal), REPLICATES, SEED);

            assertThat(old.claim().status()).isEqualTo(Status.KNOWN_SHORTFALL);
            assertThat(old.measured())
                    .as("%s: measured %.3f", m, old.measured())
                    .isBetween(0.45, 0.75);
            assertThat(old.meetsNominal()).isFalse();
            assertThat(StatisticsReport.table(List.of(old)).get(2)).endsWith("| known shortfall |");
        }
    }

    @Test
    void shouldDeriveTheWorstSliceFromEverySliceThatCompetesThroughThePerformanceStage() {
        WorstSliceClaims.Replicate r =
                WorstSliceClaims.draw(new java.util.SplittableRandom(1), new Setting(20, 200, 0.5, true));

        assertThat(r.derived())
                .filteredOn(s -> s.metric().equals("worst_slice_compared:sensitivity"))
                .singleElement()
                .satisfies(s -> assertThat(s.estimate()).isEqualTo(20.0));
        assertThat(r.derived())
                .filteredOn(s -> s.metric().equals("worst_slice:auc"))
                .singleElement()
                .satisfies(s -> {
                    assertThat(s.lower()).isLessThan(s.estimate());
                    assertThat(s.upper()).isGreaterThan(s.estimate());
                    // Wider than the slice's own 95% interval.
                    var own = r.snapshots().stream()
                            .filter(x ->
                                    x.metric().equals("auc") && x.sliceValue().equals(s.sliceValue()))
                            .findFirst()
                            .orElseThrow();
                    assertThat(s.lower()).isLessThan(own.lower());
                    assertThat(s.upper()).isGreaterThan(own.upper());
                });
    }
}
