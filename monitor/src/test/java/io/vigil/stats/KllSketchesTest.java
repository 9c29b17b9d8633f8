package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.junit.jupiter.api.Test;

/**
 * The sketch codec round trip. That sketches written by the previous library version still read is
 * {@code SketchSerialFormatCompatibilityTest}'s job.
 */
class KllSketchesTest {

    @Test
    void aSketchReadBackAnswersEveryQuantileAsTheOriginalAndTakesMerges() {
        KllDoublesSketch sketch = KllSketches.newSketch(DistributionDrift.K);
        Random random = new Random(7);
        for (int i = 0; i < 200_000; i++) {
            sketch.update(random.nextGaussian());
        }

        byte[] bytes = KllSketches.toBytes(sketch);
        KllDoublesSketch back = KllSketches.fromBytes(bytes);
        assertThat(KllSketches.toBytes(back))
                .as("written again before any query")
                .isEqualTo(bytes);

        assertThat(back.getN()).isEqualTo(200_000);
        assertThat(back.getK()).isEqualTo(DistributionDrift.K);
        assertThat(back.getMinItem()).isEqualTo(sketch.getMinItem());
        assertThat(back.getMaxItem()).isEqualTo(sketch.getMaxItem());
        for (double rank = 0.01; rank < 1; rank += 0.01) {
            assertThat(back.getQuantile(rank)).as("rank %s", rank).isEqualTo(sketch.getQuantile(rank));
        }

        // Updatable: the drift stage merges partials into sketches it read from its store.
        KllDoublesSketch other = KllSketches.newSketch(DistributionDrift.K);
        other.update(1e6);
        back.merge(other);
        assertThat(back.getN()).isEqualTo(200_001);
        assertThat(back.getMaxItem()).isEqualTo(1e6);
    }
}
