package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.junit.jupiter.api.Test;

/**
 * The sketch codec on the JVM running the tests. CI runs Java 17; the same class was run on Java 25
 * (README "Quick start"), where the library's own version check would otherwise throw on first use.
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

    @Test
    void theStartupCheckPassesHereAndLeavesTheJavaVersionPropertyAsItWas() {
        KllSketches.checkRuntime();

        assertThat(System.getProperty("java.version"))
                .isNotEqualTo(KllSketches.ACCEPTED_JAVA_VERSION)
                .startsWith(Integer.toString(Runtime.version().feature()));
    }

    @Test
    void aJvmTheLibraryRefusesIsNamedInOneSentenceWithTheVersionsVigilRunsOn() {
        ExceptionInInitializerError refused = new ExceptionInInitializerError(
                new IllegalArgumentException("Unsupported JDK Major Version. It must be one of 1.8, 8, 11, 17, 21: 26.0.1"));

        assertThatThrownBy(() -> KllSketches.checkRuntime(() -> {
            throw refused;
        }, "26.0.1"))
                .isInstanceOf(IllegalStateException.class)
                .hasCause(refused)
                .hasMessageStartingWith("the quantile sketch library (Apache DataSketches 6.2.0) does not run on Java 26.0.1")
                .hasMessageEndingWith("run Vigil on Java 17, 21 or 25");
    }
}
