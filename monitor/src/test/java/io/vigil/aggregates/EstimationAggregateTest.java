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
        // Equal up to the order of floating-point additions.
        assertThat(restored.estimate().sensitivity().value())
                .isCloseTo(all.estimate().sensitivity().value(), within(1e-12));
        assertThat(restored.estimate().auc().value())
                .isCloseTo(all.estimate().auc().value(), within(1e-12));
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
