package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ExactSumTest {

    /** Terms of every scale and sign, subnormals and the largest finite doubles included. */
    private static List<Double> terms(long seed, int n) {
        Random random = new Random(seed);
        List<Double> terms = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double magnitude = switch (i % 7) {
                case 0 -> random.nextDouble(); // a score
                case 1 -> random.nextDouble() * random.nextDouble(); // a squared score
                case 2 -> Math.scalb(random.nextDouble(), random.nextInt(-60, 60));
                case 3 -> Math.scalb(random.nextDouble(), random.nextInt(-1074, 1000));
                case 4 -> Double.MIN_VALUE * random.nextInt(1, 1000); // subnormal
                case 5 -> 120.0 + random.nextInt(40); // kVp
                default -> Double.MAX_VALUE / random.nextInt(4, 100);
            };
            terms.add(random.nextBoolean() ? magnitude : -magnitude);
        }
        return terms;
    }

    /** The exact sum by BigDecimal, rounded once to the nearest double (ties to even). */
    private static double exact(List<Double> terms) {
        BigDecimal sum = BigDecimal.ZERO;
        for (double t : terms) {
            sum = sum.add(new BigDecimal(t));
        }
        // 17 significant digits are not enough to round correctly in general; 1,100 are (the exact sum of
        // doubles has at most about 1,100 significant digits below its leading one).
        return sum.round(new MathContext(1100, RoundingMode.HALF_EVEN)).doubleValue();
    }

    private static byte[] bytes(ExactSum s) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        s.write(new DataOutputStream(out));
        assertThat(out.size()).isEqualTo(s.serializedSize());
        return out.toByteArray();
    }

    @Test
    void shouldEqualTheExactSumCorrectlyRoundedWhereADoubleSumDoesNot() {
        for (long seed = 1; seed <= 20; seed++) {
            List<Double> terms = terms(seed, 500);
            ExactSum s = new ExactSum();
            terms.forEach(s::add);
            assertThat(s.value()).as("seed %d", seed).isEqualTo(exact(terms));
        }
        // where rounding at each step loses everything
        ExactSum s = new ExactSum();
        double naive = 0;
        for (double t : new double[] {1e300, 1.0, -1e300, 0.1, 1e-300}) {
            s.add(t);
            naive += t;
        }
        assertThat(naive).isEqualTo(0.1); // the 1.0 and 1e-300 vanished
        assertThat(s.value()).isEqualTo(1.1);
    }

    @Test
    void shouldGiveTheSameBitsWhateverTheOrderAndGroupingOfAddsAndMerges() throws IOException {
        List<Double> terms = terms(7, 5_000);
        ExactSum reference = new ExactSum();
        terms.forEach(reference::add);
        byte[] referenceBytes = bytes(reference);
        double naiveReference = terms.stream().mapToDouble(Double::doubleValue).sum();
        boolean naiveDiffered = false;
        Random random = new Random(11);
        for (int trial = 0; trial < 20; trial++) {
            List<Double> shuffled = new ArrayList<>(terms);
            Collections.shuffle(shuffled, random);
            // partials of random sizes, merged in random order, some through their stored form
            List<ExactSum> partials = new ArrayList<>();
            double naive = 0;
            int i = 0;
            while (i < shuffled.size()) {
                int size = 1 + random.nextInt(400);
                ExactSum partial = new ExactSum();
                double naivePartial = 0;
                for (int j = i; j < Math.min(shuffled.size(), i + size); j++) {
                    partial.add(shuffled.get(j));
                    naivePartial += shuffled.get(j);
                }
                naive += naivePartial;
                partials.add(random.nextBoolean() ? partial : roundTrip(partial));
                i += size;
            }
            Collections.shuffle(partials, random);
            ExactSum merged = new ExactSum();
            partials.forEach(merged::merge);
            assertThat(bytes(merged)).isEqualTo(referenceBytes);
            assertThat(merged).isEqualTo(reference).hasSameHashCodeAs(reference);
            assertThat(merged.value()).isEqualTo(reference.value());
            naiveDiffered |= naive != naiveReference;
        }
        // the test would pass vacuously if double sums were already order-independent on these terms
        assertThat(naiveDiffered).isTrue();
    }

    @Test
    void shouldCancelToZeroAndKeepTheStoredFormCanonical() throws IOException {
        ExactSum s = new ExactSum();
        assertThat(s.isZero()).isTrue();
        assertThat(bytes(s)).containsExactly(0, 0);
        for (double t : terms(3, 300)) {
            s.add(t);
            s.add(-t);
        }
        assertThat(s.isZero()).isTrue();
        assertThat(s.value()).isEqualTo(0.0);
        assertThat(bytes(s)).containsExactly(0, 0);
        ExactSum negative = ExactSum.of(-0.75);
        negative.add(0.25);
        assertThat(bytes(negative)).isEqualTo(bytes(ExactSum.of(-0.5)));
        assertThat(roundTrip(negative).value()).isEqualTo(-0.5);
    }

    @Test
    void shouldKeepValueAndBitsThroughItsStoredForm() throws IOException {
        ExactSum s = new ExactSum();
        terms(5, 1_000).forEach(s::add);
        ExactSum back = roundTrip(s);
        assertThat(back.value()).isEqualTo(s.value());
        assertThat(bytes(back)).isEqualTo(bytes(s));
        back.add(0.5);
        s.add(0.5);
        assertThat(back).isEqualTo(s);
    }

    @Test
    void shouldRejectNonFiniteTermsAndCorruptStoredForms() {
        ExactSum s = new ExactSum();
        assertThatThrownBy(() -> s.add(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.add(Double.POSITIVE_INFINITY)).isInstanceOf(IllegalArgumentException.class);
        assertThat(s.isZero()).isTrue();
        byte[] corrupt = {0, 100, 0, 0};
        assertThatThrownBy(() -> ExactSum.read(new DataInputStream(new ByteArrayInputStream(corrupt))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("corrupt exact sum");
    }

    private static ExactSum roundTrip(ExactSum s) throws IOException {
        return ExactSum.read(new DataInputStream(new ByteArrayInputStream(bytes(s))));
    }
}
