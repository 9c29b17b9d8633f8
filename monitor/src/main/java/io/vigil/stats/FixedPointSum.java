package io.vigil.stats;

/**
 * A retractable sum of doubles held in 128-bit fixed point with a resolution of 2^-32.
 *
 * <p>Each term is rounded once to a multiple of 2^-32 (error at most 2^-33, about 1.2e-10, per
 * term) and then added as an integer, so {@link #add} and {@link #remove} of the same term are exact
 * inverses and sums merge associatively: state built by any order of adds, removes and merges is
 * bit-for-bit equal. A plain {@code double} sum would drift under retraction. Terms must satisfy
 * |term| < 2^30; the 128-bit accumulator cannot overflow for fewer than 2^64 terms.
 */
final class FixedPointSum {

    private static final double SCALE = 0x1p32;
    private static final double INV_SCALE = 0x1p-32;
    private static final double MAX_TERM = 0x1p30;

    private long hi;
    private long lo;

    FixedPointSum() {}

    private FixedPointSum(long hi, long lo) {
        this.hi = hi;
        this.lo = lo;
    }

    static long toUnits(double term) {
        if (!(Math.abs(term) < MAX_TERM)) {
            throw new IllegalArgumentException("term must be finite with |term| < 2^30, got " + term);
        }
        return Math.round(term * SCALE);
    }

    void add(double term) {
        addUnits(toUnits(term));
    }

    void remove(double term) {
        addUnits(-toUnits(term));
    }

    void merge(FixedPointSum other) {
        hi = mergeHi(hi, lo, other.hi, other.lo);
        lo += other.lo;
    }

    private void addUnits(long units) {
        hi = addHi(hi, lo, units);
        lo += units;
    }

    // The same arithmetic on a (hi, lo) pair held in the caller's own fields, for accumulators that
    // keep many sums and should not allocate an object per sum. The new lo is lo + units (wrapping).

    /** The high word after adding {@code units} to (hi, lo). */
    static long addHi(long hi, long lo, long units) {
        long newLo = lo + units;
        return hi + (units >> 63) + (Long.compareUnsigned(newLo, lo) < 0 ? 1 : 0);
    }

    /** The high word after adding (otherHi, otherLo) to (hi, lo). */
    static long mergeHi(long hi, long lo, long otherHi, long otherLo) {
        long newLo = lo + otherLo;
        return hi + otherHi + (Long.compareUnsigned(newLo, lo) < 0 ? 1 : 0);
    }

    /** The value of (hi, lo). */
    static double value(long hi, long lo) {
        if (hi == (lo >> 63)) {
            return lo * INV_SCALE;
        }
        double unsignedLo = (lo >>> 1) * 2.0 + (lo & 1);
        return (hi * 0x1p64 + unsignedLo) * INV_SCALE;
    }

    double value() {
        return value(hi, lo);
    }

    boolean isZero() {
        return hi == 0 && lo == 0;
    }

    FixedPointSum copy() {
        return new FixedPointSum(hi, lo);
    }

    void write(ByteCodec.Writer out) {
        out.writeVarLong(hi);
        out.writeVarLong(lo);
    }

    static FixedPointSum read(ByteCodec.Reader in) {
        long hi = in.readVarLong();
        long lo = in.readVarLong();
        return new FixedPointSum(hi, lo);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FixedPointSum other && hi == other.hi && lo == other.lo;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(hi) * 31 + Long.hashCode(lo);
    }

    @Override
    public String toString() {
        return Double.toString(value());
    }
}
