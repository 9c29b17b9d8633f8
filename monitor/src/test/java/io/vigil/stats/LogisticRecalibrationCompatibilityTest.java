package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.stats.golden.Golden;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The logit bins moved from a {@code TreeMap<Integer, Cell>} to sorted primitive arrays. State already
 * in changelogs and repartition topics was written in the TreeMap version's byte layout, so the array
 * version must read it and write it back byte for byte, and must compute the same fits bit for bit.
 *
 * <p>Two references, neither of them the code under test: the byte layout spelled out here by hand
 * (format byte 1, bin count, then per bin the id delta, n, positives and the (hi, lo) words of the
 * 128-bit fixed-point sums of x, x² and x·y, every number a zig-zag LEB128 varint), with the sums
 * computed as BigIntegers; and {@link LegacyLogisticRecalibration}, the TreeMap class itself.
 */
class LogisticRecalibrationCompatibilityTest {

    private static final double LOGIT_MAX = Math.log((1 - 1e-6) / 1e-6);
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    /** One bin's statistics as the TreeMap version held them, sums in units of 2^-32, unbounded. */
    private static final class Bin {
        long n;
        long positives;
        BigInteger x = BigInteger.ZERO;
        BigInteger xx = BigInteger.ZERO;
        BigInteger xy = BigInteger.ZERO;
    }

    private static TreeMap<Integer, Bin> bins(List<Golden.Row> rows) {
        TreeMap<Integer, Bin> bins = new TreeMap<>();
        for (Golden.Row row : rows) {
            double p = Math.min(Math.max(row.score(), 1e-6), 1 - 1e-6);
            double x = Math.log(p / (1 - p));
            int bin = Math.min((int) ((x + LOGIT_MAX) / (2 * LOGIT_MAX) * 4096), 4095);
            Bin b = bins.computeIfAbsent(bin, k -> new Bin());
            BigInteger ux = BigInteger.valueOf(Math.round(x * 0x1p32));
            b.n++;
            b.positives += row.label();
            b.x = b.x.add(ux);
            b.xx = b.xx.add(BigInteger.valueOf(Math.round(x * x * 0x1p32)));
            if (row.label() == 1) {
                b.xy = b.xy.add(ux);
            }
        }
        return bins;
    }

    /** The TreeMap version's byte layout, written without ByteCodec or the class under test. */
    private static byte[] encode(TreeMap<Integer, Bin> bins) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(1);
        varint(out, bins.size());
        int previous = -1;
        for (var e : bins.entrySet()) {
            Bin b = e.getValue();
            varint(out, e.getKey() - previous);
            varint(out, b.n);
            varint(out, b.positives);
            for (BigInteger sum : new BigInteger[] {b.x, b.xx, b.xy}) {
                varint(out, sum.shiftRight(64).longValueExact());
                varint(out, sum.mod(TWO_64).longValue());
            }
            previous = e.getKey();
        }
        return out.toByteArray();
    }

    private static void varint(ByteArrayOutputStream out, long value) {
        long v = (value << 1) ^ (value >> 63);
        while (Long.compareUnsigned(v, 0x80) >= 0) {
            out.write((int) (v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.vigil.stats.golden.Golden#cases")
    void shouldDecodeTheTreeMapLayoutAndFitTheSame(Golden.Case c) {
        byte[] stored = encode(bins(c.rows()));

        LogisticRecalibration decoded = LogisticRecalibration.fromBytes(stored);
        LogisticRecalibration built = LogisticRecalibrationTest.of(c);

        assertThat(decoded.toBytes()).isEqualTo(stored);
        assertThat(built.toBytes()).isEqualTo(stored);
        assertThat(decoded).isEqualTo(built).hasSameHashCodeAs(built);
        assertThat(decoded.fit())
                .isEqualTo(built.fit())
                .isEqualTo(LegacyLogisticRecalibration.fromBytes(stored).fit());
        assertThat(decoded.n()).isEqualTo(c.rows().size());
        JsonNode g = c.expected();
        assertThat(decoded.fit().slope().value())
                .isCloseTo(g.get("calibration_slope").asDouble(), within(1e-4));
        assertThat(decoded.fit().intercept().value())
                .isCloseTo(g.get("calibration_intercept").asDouble(), within(1e-4));
    }

    /**
     * Sums past 2^63 units in one bin (sum x² after about 10^7 cases at a clipped score, sum x after
     * about 1.5·10^8): the high words matter.
     */
    @Test
    void shouldKeepHighWordsOfLargeSums() {
        List<Golden.Row> rows = new ArrayList<>(Golden.wdbc());
        TreeMap<Integer, Bin> bins = bins(rows);
        // 200 million scores of 1.0 with label 1 and 20 million of 0.0 with label 0, added as the
        // counts they would leave: the clipped logits are ±LOGIT_MAX.
        Bin top = bins.computeIfAbsent(4095, k -> new Bin());
        Bin bottom = bins.computeIfAbsent(0, k -> new Bin());
        double x = Math.log((1 - 1e-6) / (1 - (1 - 1e-6)));
        BigInteger ux = BigInteger.valueOf(Math.round(x * 0x1p32));
        BigInteger uxx = BigInteger.valueOf(Math.round(x * x * 0x1p32));
        BigInteger many = BigInteger.valueOf(200_000_000);
        top.n += 200_000_000;
        top.positives += 200_000_000;
        top.x = top.x.add(ux.multiply(many));
        top.xx = top.xx.add(uxx.multiply(many));
        top.xy = top.xy.add(ux.multiply(many));
        BigInteger fewer = BigInteger.valueOf(20_000_000);
        double y = Math.log(1e-6 / (1 - 1e-6));
        bottom.n += 20_000_000;
        bottom.x = bottom.x.add(BigInteger.valueOf(Math.round(y * 0x1p32)).multiply(fewer));
        bottom.xx = bottom.xx.add(BigInteger.valueOf(Math.round(y * y * 0x1p32)).multiply(fewer));
        assertThat(top.x.bitLength()).isGreaterThan(63);
        assertThat(top.xx.bitLength()).isGreaterThan(63);
        assertThat(top.xy.bitLength()).isGreaterThan(63);
        assertThat(bottom.xx.bitLength()).isGreaterThan(63);
        byte[] stored = encode(bins);

        LogisticRecalibration decoded = LogisticRecalibration.fromBytes(stored);
        LegacyLogisticRecalibration legacy = LegacyLogisticRecalibration.fromBytes(stored);
        assertThat(decoded.toBytes()).isEqualTo(stored);
        assertThat(decoded.fit()).isEqualTo(legacy.fit());
        assertThat(decoded.fit().isEmpty()).isFalse();
        assertThat(decoded.hashCode()).isEqualTo(legacy.hashCode());

        decoded.merge(decoded);
        legacy.merge(legacy);
        assertThat(decoded.toBytes()).isEqualTo(legacy.toBytes());
        assertThat(decoded.fit()).isEqualTo(legacy.fit());
    }

    @Test
    void shouldRejectWhatTheTreeMapVersionRejected() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(1);
        varint(out, 2);
        for (int bin = 0; bin < 2; bin++) {
            varint(out, 1);
            varint(out, bin == 0 ? 3 : 0); // n = 0 in the second bin
            varint(out, 0);
            for (int k = 0; k < 6; k++) {
                varint(out, 0);
            }
        }
        byte[] bytes = out.toByteArray();
        assertThatThrownBy(() -> LegacyLogisticRecalibration.fromBytes(bytes))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LogisticRecalibration.fromBytes(bytes))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("logit bin 1 must have");
    }

    /**
     * Random adds, removes, merges and byte round trips on both versions, including states decoded with
     * low words about to wrap, so that single adds carry into and borrow from the high words.
     */
    @Test
    void shouldMatchTheTreeMapVersionOnRandomOperations() {
        for (long seed = 1; seed <= 40; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            LogisticRecalibration a = new LogisticRecalibration();
            LegacyLogisticRecalibration b = new LegacyLogisticRecalibration();
            List<double[]> added = new ArrayList<>();
            int steps = 300 + rnd.nextInt(3000);
            for (int step = 0; step < steps; step++) {
                int op = rnd.nextInt(100);
                if (op < 60) {
                    double score = score(rnd);
                    int label = rnd.nextDouble() < score ? 1 : 0;
                    a.add(score, label);
                    b.add(score, label);
                    added.add(new double[] {score, label});
                } else if (op < 85 && !added.isEmpty()) {
                    // Usually succeeds; an earlier random removal may have taken this bin's count.
                    double[] s = added.remove(rnd.nextInt(added.size()));
                    assertThat(thrown(() -> a.remove(s[0], (int) s[1])))
                            .isEqualTo(thrown(() -> b.remove(s[0], (int) s[1])));
                } else if (op < 90) {
                    double score = score(rnd);
                    int label = rnd.nextInt(2);
                    Class<?> thrownA = thrown(() -> a.remove(score, label));
                    Class<?> thrownB = thrown(() -> b.remove(score, label));
                    assertThat(thrownA).isEqualTo(thrownB);
                    if (thrownA == null) {
                        for (int k = 0; k < added.size(); k++) {
                            if (added.get(k)[0] == score && added.get(k)[1] == label) {
                                added.remove(k);
                                break;
                            }
                        }
                    }
                } else if (op < 96) {
                    byte[] other = rnd.nextInt(4) == 0 ? nearWrap(rnd) : randomState(rnd);
                    a.merge(LogisticRecalibration.fromBytes(other));
                    b.merge(LegacyLogisticRecalibration.fromBytes(other));
                } else if (op < 97) {
                    a.merge(a);
                    b.merge(b);
                } else {
                    byte[] bytes = a.toBytes();
                    LogisticRecalibration back = LogisticRecalibration.fromBytes(bytes);
                    assertThat(back).isEqualTo(a).hasSameHashCodeAs(a);
                    assertThat(back.toBytes()).isEqualTo(bytes);
                }
                if (step % 50 == 0 || step == steps - 1) {
                    assertSame(a, b, seed, step);
                }
            }
        }
    }

    /** Scores with ties, clipped extremes and values spread over the whole logit range. */
    private static double score(SplittableRandom rnd) {
        return switch (rnd.nextInt(10)) {
            case 0 -> 0.0;
            case 1 -> 1.0;
            case 2 -> rnd.nextInt(100) / 100.0;
            case 3 -> 1 / (1 + Math.exp(-rnd.nextDouble(-16, 16)));
            default -> rnd.nextDouble();
        };
    }

    /** A state of a few random bins as the TreeMap version would have stored it. */
    private static byte[] randomState(SplittableRandom rnd) {
        List<Golden.Row> rows = new ArrayList<>();
        int n = rnd.nextInt(200);
        for (int i = 0; i < n; i++) {
            double s = score(rnd);
            rows.add(new Golden.Row("", s, rnd.nextDouble() < s ? 1 : 0));
        }
        return encode(bins(rows));
    }

    /** A state whose sums sit within one case of wrapping their low word, either way. */
    private static byte[] nearWrap(SplittableRandom rnd) {
        TreeMap<Integer, Bin> bins = new TreeMap<>();
        int count = 1 + rnd.nextInt(8);
        for (int i = 0; i < count; i++) {
            Bin b = new Bin();
            b.n = 1 + rnd.nextInt(1000);
            b.positives = rnd.nextInt((int) b.n + 1);
            BigInteger edge = BigInteger.ONE.shiftLeft(63).multiply(BigInteger.valueOf(rnd.nextInt(-3, 4)));
            b.x = edge.add(BigInteger.valueOf(rnd.nextLong(-(1L << 37), 1L << 37)));
            b.xx = edge.add(BigInteger.valueOf(rnd.nextLong(-(1L << 40), 1L << 40)));
            b.xy = edge.add(BigInteger.valueOf(rnd.nextLong(-(1L << 37), 1L << 37)));
            bins.put(rnd.nextInt(4096), b);
        }
        return encode(bins);
    }

    private static Class<?> thrown(Runnable r) {
        try {
            r.run();
            return null;
        } catch (RuntimeException e) {
            return e.getClass();
        }
    }

    private static void assertSame(LogisticRecalibration a, LegacyLogisticRecalibration b, long seed, int step) {
        String where = "seed " + seed + ", step " + step;
        assertThat(a.toBytes()).as(where).isEqualTo(b.toBytes());
        assertThat(a.hashCode()).as(where).isEqualTo(b.hashCode());
        assertThat(a.n()).as(where).isEqualTo(b.n());
        assertThat(a.occupiedBins()).as(where).isEqualTo(b.occupiedBins());
        assertThat(a.fit()).as(where).isEqualTo(b.fit());
        assertThat(a).as(where).isEqualTo(LogisticRecalibration.fromBytes(b.toBytes()));
    }
}
