package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.stats.golden.Golden;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link RocHistogram} buffers bins new to a large histogram; {@link LegacyRocHistogram}, the version
 * before the buffer, is the reference: same counts, AUC, bytes, equality and hash after any sequence
 * of adds, removes, merges and round trips.
 */
class RocHistogramBufferTest {

    @Test
    void shouldMatchTheUnbufferedVersionOnGoldenScores() {
        RocHistogram a = new RocHistogram();
        LegacyRocHistogram b = new LegacyRocHistogram();
        int k = 0;
        for (Golden.Row r : Golden.fleet()) {
            a.add(r.score(), r.label());
            b.add(r.score(), r.label());
            if (++k % 997 == 0) {
                assertSame(a, b, "row " + k);
            }
        }
        assertThat(a.occupiedBins()).isGreaterThan(RocHistogram.BUFFER_FROM + 4 * RocHistogram.BUFFER);
        assertSame(a, b, "fleet");
    }

    @Test
    void shouldMatchTheUnbufferedVersionOnRandomOperations() {
        for (long seed = 1; seed <= 30; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            int bins = switch ((int) (seed % 3)) {
                case 0 -> RocHistogram.DEFAULT_BINS;
                case 1 -> 1_000;
                default -> 600;
            };
            RocHistogram a = new RocHistogram(bins);
            LegacyRocHistogram b = new LegacyRocHistogram(bins);
            List<double[]> added = new ArrayList<>();
            int steps = 2_000 + rnd.nextInt(6_000);
            for (int step = 0; step < steps; step++) {
                int op = rnd.nextInt(1000);
                if (op < 800) {
                    double score = rnd.nextInt(20) == 0 ? rnd.nextInt(11) / 10.0 : rnd.nextDouble();
                    int label = rnd.nextDouble() < score ? 1 : 0;
                    a.add(score, label);
                    b.add(score, label);
                    added.add(new double[] {score, label});
                } else if (op < 960 && !added.isEmpty()) {
                    double[] s = added.remove(rnd.nextInt(added.size()));
                    a.remove(s[0], (int) s[1]);
                    b.remove(s[0], (int) s[1]);
                } else if (op < 975) {
                    RocHistogram other = new RocHistogram(bins);
                    int n = rnd.nextInt(800);
                    for (int i = 0; i < n; i++) {
                        double score = rnd.nextDouble();
                        int label = rnd.nextInt(2);
                        other.add(score, label);
                        added.add(new double[] {score, label});
                    }
                    byte[] bytes = other.toBytes();
                    if (rnd.nextBoolean()) {
                        a.merge(other);
                    } else {
                        a.merge(RocHistogram.fromBytes(bytes));
                    }
                    b.merge(LegacyRocHistogram.fromBytes(bytes));
                } else if (op < 980) {
                    // every count doubles; the list still names one copy of each outcome
                    a.merge(a);
                    b.merge(b);
                } else if (op < 990) {
                    // a read in the middle of a batch of buffered bins
                    assertThat(a.auc()).isEqualTo(b.auc());
                } else {
                    RocHistogram back = RocHistogram.fromBytes(a.toBytes());
                    assertThat(back).isEqualTo(a).hasSameHashCodeAs(a);
                }
                if (step % 257 == 0 || step == steps - 1) {
                    assertSame(a, b, "seed " + seed + ", step " + step);
                }
            }
        }
    }

    private static void assertSame(RocHistogram a, LegacyRocHistogram b, String where) {
        assertThat(a.positives()).as(where).isEqualTo(b.positives());
        assertThat(a.negatives()).as(where).isEqualTo(b.negatives());
        assertThat(a.auc()).as(where).isEqualTo(b.auc());
        assertThat(a.toBytes()).as(where).isEqualTo(b.toBytes());
        assertThat(a.hashCode()).as(where).isEqualTo(b.hashCode());
        assertThat(a.occupiedBins()).as(where).isEqualTo(b.occupiedBins());
        assertThat(a).as(where).isEqualTo(RocHistogram.fromBytes(b.toBytes()));
    }
}
