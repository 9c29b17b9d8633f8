package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class IsotonicCalibrationTest {

    @Test
    void shouldPoolViolatorsAsByHandWhenLabelsOutOfOrder() {
        // labels 0 | 1 0 0 | 1 1 : the middle violators pool to 1/3
        IsotonicCalibration iso = IsotonicCalibration.fit(
                new double[] {0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, new boolean[] {false, true, false, false, true, true});

        assertThat(iso.values()).containsExactly(new double[] {0.0, 1.0 / 3, 1.0}, within(1e-12));
        assertThat(iso.blockStarts()).containsExactly(0.1, 0.2, 0.5);
        assertThat(iso.blockEnds()).containsExactly(0.1, 0.4, 0.6);
        assertThat(iso.apply(0.3)).isCloseTo(1.0 / 3, within(1e-12));
        // between blocks: linear from (0.4, 1/3) to (0.5, 1)
        assertThat(iso.apply(0.45)).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(iso.apply(-5)).isZero();
        assertThat(iso.apply(7)).isEqualTo(1.0);
    }

    @Test
    void shouldPoolWeightedMeansWhenPointsAreBins() {
        // y = 1, 3, 2, 4, 3, 5 (unit weights) -> 1, 2.5, 2.5, 3.5, 3.5, 5
        IsotonicCalibration iso = IsotonicCalibration.fit(
                new double[] {1, 2, 3, 4, 5, 6}, new double[] {1, 3, 2, 4, 3, 5}, new double[] {1, 1, 1, 1, 1, 1});
        assertThat(iso.values()).containsExactly(1.0, 2.5, 3.5, 5.0);

        // weight 3 on the second point: (3*3 + 2)/4 = 2.75
        IsotonicCalibration w =
                IsotonicCalibration.fit(new double[] {1, 2, 3}, new double[] {1, 3, 2}, new double[] {1, 3, 1});
        assertThat(w.values()).containsExactly(1.0, 2.75);
        assertThat(w.blockWeights()).containsExactly(1.0, 4.0);
    }

    @Test
    void shouldEqualCaseLevelFitWhenFittedOnBinsOfSameCases() {
        Random rnd = new Random(17);
        int n = 2000;
        double[] s = new double[n];
        boolean[] y = new boolean[n];
        double[] binX = new double[100];
        double[] binY = new double[100];
        double[] binW = new double[100];
        for (int i = 0; i < n; i++) {
            s[i] = Math.floor(rnd.nextDouble() * 100) / 100; // scores with 2 decimals
            y[i] = rnd.nextDouble() < s[i] * s[i];
            int b = (int) Math.round(s[i] * 100);
            binX[b] = s[i];
            binY[b] += y[i] ? 1 : 0;
            binW[b]++;
        }
        for (int b = 0; b < 100; b++) {
            binY[b] = binW[b] > 0 ? binY[b] / binW[b] : 0;
        }
        IsotonicCalibration cases = IsotonicCalibration.fit(s, y);
        IsotonicCalibration bins = IsotonicCalibration.fit(binX, binY, binW);

        // block lists may differ where adjacent means tie up to rounding; the map itself must not
        for (double x = 0; x <= 1; x += 0.0037) {
            assertThat(bins.apply(x)).isCloseTo(cases.apply(x), within(1e-12));
        }
        double prev = -1;
        for (double x = -0.1; x <= 1.1; x += 0.001) {
            double v = cases.apply(x);
            assertThat(v).isGreaterThanOrEqualTo(prev);
            prev = v;
        }
    }

    @Test
    void shouldRoundTripWhenSerialised() {
        IsotonicCalibration iso =
                IsotonicCalibration.fit(new double[] {0.1, 0.2, 0.3, 0.4}, new boolean[] {false, true, false, true});
        IsotonicCalibration back = IsotonicCalibration.fromBytes(iso.toBytes());

        assertThat(back.values()).containsExactly(iso.values());
        assertThat(back.blockStarts()).containsExactly(iso.blockStarts());
        assertThat(back.apply(0.35)).isEqualTo(iso.apply(0.35));
    }
}
