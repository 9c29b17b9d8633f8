package io.vigil.aggregates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class EstimationAggregateTest {

    @Test
    void shouldRoundTripAndMergeLikeOneBatchWhenStoredAndRestored() {
        Random rnd = new Random(4);
        EstimationAggregate a = EstimationAggregate.empty();
        EstimationAggregate b = EstimationAggregate.empty();
        EstimationAggregate all = EstimationAggregate.empty();
        for (int i = 0; i < 500; i++) {
            double s = rnd.nextDouble();
            Double q = i % 7 == 0 ? null : s * 0.9;
            (i % 2 == 0 ? a : b).add(s, 0.4, s >= 0.4, q);
            all.add(s, 0.4, s >= 0.4, q);
        }
        EstimationAggregate restored = EstimationAggregate.CODEC.fromBytes(EstimationAggregate.CODEC.toBytes(a));
        restored.merge(EstimationAggregate.CODEC.fromBytes(EstimationAggregate.CODEC.toBytes(b)));
        assertThat(restored.count()).isEqualTo(500);
        assertThat(restored.positives()).isEqualTo(all.positives());
        assertThat(restored.threshold()).isEqualTo(0.4);
        assertThat(restored.estimate().n()).isEqualTo(all.estimate().n());
        // The same bits, not merely close: the sums are exact (scores) or fixed point (the estimate).
        assertThat(EstimationAggregate.CODEC.toBytes(restored)).isEqualTo(EstimationAggregate.CODEC.toBytes(all));
        assertThat(restored.scoreSum()).isEqualTo(all.scoreSum());
        assertThat(restored.scoreSumSquares()).isEqualTo(all.scoreSumSquares());
        assertThat(restored.estimate().sensitivity()).isEqualTo(all.estimate().sensitivity());
        assertThat(restored.estimate().auc()).isEqualTo(all.estimate().auc());
    }

    /** Form 1 (double sums, written by earlier versions) still loads, and is written again in form 2. */
    @Test
    void shouldReadTheDoubleSumFormWhenStateComesFromAnEarlierVersion() throws Exception {
        int bins = EstimationAggregate.AUC_BINS;
        java.nio.ByteBuffer estimate = java.nio.ByteBuffer.allocate(8 + 4 + 16 + 48 + 16 * bins);
        estimate.putDouble(0.5).putInt(bins).putLong(1).putLong(1);
        estimate.putDouble(0.8)
                .putDouble(0.2)
                .putDouble(0.16)
                .putDouble(0.1)
                .putDouble(0.9)
                .putDouble(0.09);
        for (int b = 0; b < bins; b++) {
            double pos = b == 180 ? 0.8 : b == 20 ? 0.1 : 0;
            double neg = b == 180 ? 0.2 : b == 20 ? 0.9 : 0;
            estimate.putDouble(pos).putDouble(neg);
        }
        byte[] raw = java.nio.ByteBuffer.allocate(40 + estimate.capacity())
                .putLong(2)
                .putLong(1)
                .putDouble(0.9 + 0.1)
                .putDouble(0.81 + 0.01)
                .putDouble(0.4)
                .put(estimate.array())
                .array();
        java.util.zip.Deflater deflater = new java.util.zip.Deflater();
        deflater.setInput(raw);
        deflater.finish();
        byte[] buf = new byte[raw.length + 64];
        int n = deflater.deflate(buf);
        deflater.end();
        byte[] form1 = java.nio.ByteBuffer.allocate(5 + n)
                .put((byte) 1)
                .putInt(raw.length)
                .put(buf, 0, n)
                .array();

        EstimationAggregate a = EstimationAggregate.CODEC.fromBytes(form1);

        assertThat(a.count()).isEqualTo(2);
        assertThat(a.positives()).isEqualTo(1);
        assertThat(a.scoreSum()).isEqualTo(1.0);
        assertThat(a.scoreSumSquares()).isEqualTo(0.81 + 0.01); // the stored double, exactly
        assertThat(a.threshold()).isEqualTo(0.4);
        assertThat(a.estimate().n()).isEqualTo(2);
        assertThat(a.estimate().expectedTruePositives()).isCloseTo(0.8, within(1e-9));
        // the positive-weighted bin (180) lies above the negative-weighted one (20): AUC 0.8*0.9 + ... / (0.9 * 1.1)
        assertThat(a.estimate().auc().value()).isCloseTo((0.8 * (0.9 + 0.1) + 0.1 * 0.45) / (0.9 * 1.1), within(1e-9));
        byte[] form2 = EstimationAggregate.CODEC.toBytes(a);
        assertThat(form2[0]).isEqualTo((byte) 2);
        assertThat(EstimationAggregate.CODEC.toBytes(EstimationAggregate.CODEC.fromBytes(form2)))
                .isEqualTo(form2);
    }

    @Test
    void shouldStoreASmallPartialInAFewHundredBytesWhenMostBinsAreEmpty() {
        EstimationAggregate a = EstimationAggregate.empty();
        a.add(0.3, 0.5, false, 0.2);
        assertThat(EstimationAggregate.CODEC.toBytes(a).length).isLessThan(300);
        assertThatThrownBy(() -> EstimationAggregate.CODEC.fromBytes(new byte[] {9, 0, 0, 0, 1}))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
