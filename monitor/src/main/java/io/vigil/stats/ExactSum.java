package io.vigil.stats;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * The exact sum of any finite doubles, whatever the order of additions and merges.
 *
 * <p>A {@code double} sum rounds at every addition, so the same values summed in another grouping (Kafka
 * Streams flushes partial aggregates at wall-clock intervals, and owners merge them as they arrive) give
 * another last bit, and two replays of one input published different score means and CUSUMs. Here every
 * term is added exactly into a fixed-point integer whose unit is 2^-1074 (the smallest double), held as
 * 32-bit digits in {@code long}s over only the range the terms touch (a few digits for values of one
 * scale), with carries propagated lazily. {@link #value()} is the exact sum correctly rounded to the
 * nearest double (ties to even), so it is a function of the multiset of terms alone. Unlike
 * {@link FixedPointSum} no term is rounded, so small values (a feature in the 1e-6 range, its squares)
 * keep their precision; the price is a few {@code long}s per sum instead of two.
 *
 * <p>The stored form ({@link #write}) is canonical: equal sums write equal bytes. Mutable, not
 * thread-safe.
 */
public final class ExactSum {
    private static final long MASK = 0xFFFF_FFFFL;
    private static final long[] NONE = {};
    /** Unscaled additions between carry propagations: each changes a digit by less than 2^32. */
    private static final int CARRY_EVERY = 1 << 30;
    /** Digit i weighs 2^(32 (base + i) - 1074). */
    private static final int UNIT_EXPONENT = -1074;

    private long[] digits = NONE;
    private int base;
    private int pending;

    public ExactSum() {}

    /** A sum holding one term. */
    public static ExactSum of(double term) {
        ExactSum s = new ExactSum();
        s.add(term);
        return s;
    }

    /**
     * Adds one term exactly.
     *
     * @throws IllegalArgumentException when {@code term} is NaN or infinite
     */
    public void add(double term) {
        if (!Double.isFinite(term)) {
            throw new IllegalArgumentException("term must be finite, got " + term);
        }
        if (term == 0) {
            return;
        }
        long bits = Double.doubleToRawLongBits(term);
        int exponent = (int) ((bits >>> 52) & 0x7FF);
        long significand = bits & ((1L << 52) - 1);
        int position; // of the significand's lowest bit, in units of 2^-1074
        if (exponent == 0) {
            position = 0;
        } else {
            significand |= 1L << 52;
            position = exponent - 1;
        }
        int digit = position >>> 5;
        int shift = position & 31;
        long above = shift == 0 ? significand >>> 32 : significand >>> (32 - shift); // (significand << shift) >> 32
        long d0 = (significand << shift) & MASK;
        long d1 = above & MASK;
        long d2 = above >>> 32;
        cover(digit, digit + 2);
        int i = digit - base;
        if (bits < 0) {
            digits[i] -= d0;
            digits[i + 1] -= d1;
            digits[i + 2] -= d2;
        } else {
            digits[i] += d0;
            digits[i + 1] += d1;
            digits[i + 2] += d2;
        }
        if (++pending >= CARRY_EVERY) {
            normalise();
        }
    }

    /** Adds {@code other} into this sum; {@code other}'s value is unchanged. */
    public void merge(ExactSum other) {
        other.normalise();
        if (other.digits.length == 0) {
            return;
        }
        cover(other.base, other.base + other.digits.length - 1);
        int offset = other.base - base;
        for (int i = 0; i < other.digits.length; i++) {
            digits[offset + i] += other.digits[i];
        }
        if (++pending >= CARRY_EVERY) {
            normalise();
        }
    }

    /** The exact sum, correctly rounded to the nearest double (ties to even). */
    public double value() {
        normalise();
        if (digits.length == 0) {
            return 0.0;
        }
        BigInteger exact = BigInteger.valueOf(digits[digits.length - 1]);
        for (int i = digits.length - 2; i >= 0; i--) {
            exact = exact.shiftLeft(32).add(BigInteger.valueOf(digits[i]));
        }
        int signum = exact.signum();
        BigInteger magnitude = exact.abs();
        int drop = Math.max(0, magnitude.bitLength() - 64);
        BigInteger kept = magnitude.shiftRight(drop);
        if (drop > 0 && magnitude.getLowestSetBit() < drop) {
            kept = kept.setBit(0); // sticky bit: below the rounding position, so ties round correctly
        }
        return signum * Math.scalb(kept.doubleValue(), 32 * base + UNIT_EXPONENT + drop);
    }

    public boolean isZero() {
        normalise();
        return digits.length == 0;
    }

    /** Canonical stored form: digit count, then (if any) the base and the digits low to high. */
    public void write(DataOutput out) throws IOException {
        normalise();
        out.writeShort(digits.length);
        if (digits.length > 0) {
            out.writeShort(base);
            for (long d : digits) {
                out.writeInt((int) d);
            }
        }
    }

    /** Bytes {@link #write} writes. */
    public int serializedSize() {
        normalise();
        return digits.length == 0 ? 2 : 4 + 4 * digits.length;
    }

    /** Inverse of {@link #write}. */
    public static ExactSum read(DataInput in) throws IOException {
        int length = in.readUnsignedShort();
        ExactSum s = new ExactSum();
        if (length == 0) {
            return s;
        }
        int base = in.readShort();
        if (length > 80 || base < 0 || base + length > 80) {
            throw new IOException("corrupt exact sum: " + length + " digits from " + base);
        }
        s.base = base;
        s.digits = new long[length];
        for (int i = 0; i < length; i++) {
            int d = in.readInt();
            s.digits[i] = i == length - 1 ? d : d & MASK;
        }
        return s;
    }

    /** Widens the digit array to hold digits {@code from..to} (and one more above, for carries). */
    private void cover(int from, int to) {
        int top = to + 1;
        if (digits.length == 0) {
            base = from;
            digits = new long[top - from + 1];
            return;
        }
        int currentTop = base + digits.length - 1;
        if (from >= base && top <= currentTop) {
            return;
        }
        int newBase = Math.min(base, from);
        int newTop = Math.max(currentTop, top);
        long[] wider = new long[newTop - newBase + 1];
        System.arraycopy(digits, 0, wider, base - newBase, digits.length);
        digits = wider;
        base = newBase;
    }

    /**
     * Propagates carries and trims, leaving the canonical form: every digit but the top in [0, 2^32), the
     * top in [-2^31, 2^31) and not redundant, the lowest non-zero; zero is no digits.
     */
    private void normalise() {
        if (pending == 0) {
            return;
        }
        pending = 0;
        int n = digits.length;
        for (int i = 0; i < n - 1; i++) {
            long carry = digits[i] >> 32;
            digits[i] -= carry << 32;
            digits[i + 1] += carry;
        }
        while (digits[n - 1] >= (1L << 31) || digits[n - 1] < -(1L << 31)) {
            digits = Arrays.copyOf(digits, n + 1);
            long carry = digits[n - 1] >> 32;
            digits[n - 1] -= carry << 32;
            digits[n] = carry;
            n++;
        }
        int top = n - 1;
        while (top > 0
                && ((digits[top] == 0 && digits[top - 1] < (1L << 31))
                        || (digits[top] == -1 && digits[top - 1] >= (1L << 31)))) {
            if (digits[top] == -1) {
                digits[top - 1] -= 1L << 32;
            }
            top--;
        }
        int low = 0;
        while (low <= top && digits[low] == 0) {
            low++;
        }
        if (low > top) {
            digits = NONE;
            base = 0;
            return;
        }
        if (low > 0 || top < n - 1) {
            digits = Arrays.copyOfRange(digits, low, top + 1);
            base += low;
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ExactSum other)) {
            return false;
        }
        normalise();
        other.normalise();
        return base == other.base && Arrays.equals(digits, other.digits);
    }

    @Override
    public int hashCode() {
        normalise();
        return 31 * base + Arrays.hashCode(digits);
    }

    @Override
    public String toString() {
        return Double.toString(value());
    }
}
