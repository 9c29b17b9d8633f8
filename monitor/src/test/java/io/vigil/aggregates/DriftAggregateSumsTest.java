package io.vigil.aggregates;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.events.Demographics;
import io.vigil.events.Prediction;
import io.vigil.events.Scanner;
import io.vigil.testing.Events;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The drift aggregate's sums (score, uncertainty, each feature) are the same bits however its predictions
 * were grouped into partials and in whatever order the partials were merged, through the stored form or
 * not: two replays of one input, whose partials Kafka Streams flushes at other moments, publish the same
 * means and CUSUMs. (Its KLL sketches are not yet: see docs/STATISTICAL-VALIDATION.md, determinism.)
 */
class DriftAggregateSumsTest {

    private static Prediction prediction(int i, Random random) {
        double score = random.nextDouble();
        return new Prediction(
                "p-" + i,
                Instant.parse("2026-11-01T00:00:00Z").plusSeconds(i),
                Events.MODEL,
                "binary",
                score,
                0.5,
                null,
                "S01",
                new Scanner("CT-1", "Siemens", "SOMATOM Force", "5.0", "CT", "CHEST"),
                null,
                null,
                new Demographics("F", "60-69"),
                random.nextDouble() * 0.3,
                null,
                Map.of(
                        "kvp",
                        100.0 + 20 * random.nextInt(3),
                        "mask_volume_mm3",
                        Math.exp(8 + 2 * random.nextGaussian()),
                        "noise_index",
                        1e-6 * random.nextDouble()),
                Map.of());
    }

    private record Sums(
            double score, double scoreSquares, double uncertainty, double uncertaintySquares, List<Double> features) {
        static Sums of(DriftAggregate a) {
            List<Double> f = new ArrayList<>();
            for (String name : List.of("kvp", "mask_volume_mm3", "noise_index")) {
                f.add(a.features().get(name).sum());
                f.add(a.features().get(name).sumSquares());
            }
            return new Sums(
                    a.scoreSum(), a.scoreSumSquares(), a.uncertaintySum(), a.uncertaintySumSquares(), List.copyOf(f));
        }
    }

    @Test
    void shouldGiveTheSameSumsWhateverTheGroupingAndOrderOfPartials() {
        Random random = new Random(5);
        List<Prediction> predictions = new ArrayList<>();
        for (int i = 0; i < 4_000; i++) {
            predictions.add(prediction(i, random));
        }
        DriftAggregate one = DriftAggregate.empty();
        predictions.forEach(p -> one.add(p, null, true));
        Sums expected = Sums.of(one);
        double naiveScoreSum = 0;
        for (Prediction p : predictions) {
            naiveScoreSum += p.score();
        }
        boolean doubleSumsDiffer = false;
        Random shuffle = new Random(9);
        for (int trial = 0; trial < 10; trial++) {
            List<Prediction> order = new ArrayList<>(predictions);
            Collections.shuffle(order, shuffle);
            List<DriftAggregate> partials = new ArrayList<>();
            double naive = 0;
            for (int i = 0; i < order.size(); ) {
                int size = 1 + shuffle.nextInt(300);
                DriftAggregate partial = DriftAggregate.empty();
                double naivePartial = 0;
                for (Prediction p : order.subList(i, Math.min(order.size(), i + size))) {
                    partial.add(p, null, true);
                    naivePartial += p.score();
                }
                naive += naivePartial;
                partials.add(shuffle.nextBoolean() ? partial : DriftAggregate.CODEC.fromBytes(partial.toBytes()));
                i += size;
            }
            Collections.shuffle(partials, shuffle);
            DriftAggregate merged = DriftAggregate.empty();
            partials.forEach(merged::merge);
            assertThat(Sums.of(merged)).isEqualTo(expected);
            assertThat(Sums.of(DriftAggregate.CODEC.fromBytes(merged.toBytes())))
                    .isEqualTo(expected);
            doubleSumsDiffer |= naive != naiveScoreSum;
        }
        // what the double sums this replaced did with the same partials
        assertThat(doubleSumsDiffer).isTrue();
        // and the exact sums are right: the tiny noise index keeps its precision next to the volumes
        double noise = 0;
        for (Prediction p : predictions) {
            noise += p.features().get("noise_index");
        }
        assertThat(expected.features().get(4)).isCloseTo(noise, org.assertj.core.api.Assertions.within(1e-15));
    }
}
