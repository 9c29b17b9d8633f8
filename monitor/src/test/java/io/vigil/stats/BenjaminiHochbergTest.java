package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class BenjaminiHochbergTest {

    /**
     * Benjamini and Hochberg (1995), section 4.2: 15 p-values from a study of myocardial infarction
     * treatment. At q = 0.05 Bonferroni rejects 3, BH rejects 4: p_(4) = 0.0095 <= 4 x 0.05/15 =
     * 0.01333, and no later p_(i) <= i x 0.05/15.
     */
    private static final double[] PAPER = {
        0.0201, 0.0001, 0.0004, 0.0019, 0.0095, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590,
        1.0000
    };

    @Test
    void shouldRejectFourWhenPaperExampleAtFivePercent() {
        BenjaminiHochberg.Result r = BenjaminiHochberg.apply(PAPER, 0.05);

        assertThat(r.rejectedCount()).isEqualTo(4);
        assertThat(r.rejected())
                .containsExactly(
                        false, true, true, true, true, false, false, false, false, false, false, false, false, false,
                        false);
        assertThat(r.threshold()).isCloseTo(4 * 0.05 / 15, within(1e-15));
    }

    @Test
    void shouldAdjustAsStepUpMinimumWhenPaperExample() {
        double[] adj = BenjaminiHochberg.apply(PAPER, 0.05).adjusted();

        // by hand: rank 1: 15 x 0.0001 / 1; rank 4: min(15 x 0.0095/4 = 0.035625, later ratios >= 0.0603)
        assertThat(adj[1]).isCloseTo(0.0015, within(1e-12));
        assertThat(adj[4]).isCloseTo(0.035625, within(1e-12));
        // ranks 5..9: 15 p/i = 0.0603, 0.0695, 0.06386, 0.06450, 0.0765: rank 5 keeps 0.0603,
        // rank 6 takes the smaller later 0.06386 (rank 7)
        assertThat(adj[0]).isCloseTo(15 * 0.0201 / 5, within(1e-12));
        assertThat(adj[5]).isCloseTo(15 * 0.0298 / 7, within(1e-12));
        assertThat(adj[6]).isCloseTo(15 * 0.0298 / 7, within(1e-12));
        assertThat(adj[14]).isEqualTo(1.0);
        for (int i = 0; i < PAPER.length; i++) {
            assertThat(adj[i] <= 0.05)
                    .isEqualTo(BenjaminiHochberg.apply(PAPER, 0.05).rejected()[i]);
        }
    }

    @Test
    void shouldRejectNothingWhenAllAboveCutoffs() {
        BenjaminiHochberg.Result r = BenjaminiHochberg.apply(new double[] {0.2, 0.5, 0.04}, 0.05);

        assertThat(r.rejectedCount()).isZero();
        assertThat(r.threshold()).isZero();
    }
}
