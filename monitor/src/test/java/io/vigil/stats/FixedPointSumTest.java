package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class FixedPointSumTest {

    @Test
    void shouldCarryAcross64BitsWhenSumExceedsLongRange() {
        FixedPointSum s = new FixedPointSum();
        // 2^29 * 2^32 = 2^61 units per term: 8 terms overflow a signed 64-bit accumulator
        for (int i = 0; i < 8; i++) {
            s.add(0x1p29);
        }
        assertThat(s.value()).isEqualTo(0x1p32);
        for (int i = 0; i < 8; i++) {
            s.remove(0x1p29);
        }
        assertThat(s.isZero()).isTrue();
        s.remove(1e-9);
        assertThat(s.value()).isCloseTo(-1e-9, within(1e-10));
    }

    @Test
    void shouldBeOrderIndependentWhenTermsAreRetracted() {
        FixedPointSum a = new FixedPointSum();
        FixedPointSum b = new FixedPointSum();
        a.add(0.1);
        a.add(0.7);
        a.add(0.2);
        a.remove(0.7);
        b.add(0.2);
        b.add(0.1);
        assertThat(a).isEqualTo(b);
        FixedPointSum c = new FixedPointSum();
        c.merge(b);
        c.merge(b.copy());
        assertThat(c.value()).isCloseTo(0.6, within(1e-9));
    }

    @Test
    void shouldRejectTermWhenOutOfRange() {
        assertThatThrownBy(() -> new FixedPointSum().add(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FixedPointSum().add(0x1p31)).hasMessageContaining("|term| < 2^30");
    }
}
