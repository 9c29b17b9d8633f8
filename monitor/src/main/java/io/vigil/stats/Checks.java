package io.vigil.stats;

/** Argument checks shared by the accumulators; messages name the field, the range and the value. */
final class Checks {

    private Checks() {}

    static void checkScore(double score) {
        if (!(score >= 0.0 && score <= 1.0)) {
            throw new IllegalArgumentException("score must be in [0, 1], got " + score);
        }
    }

    static void checkLabel(int label) {
        if (label != 0 && label != 1) {
            throw new IllegalArgumentException("label must be 0 or 1, got " + label);
        }
    }

    static long decrement(long count, String what) {
        if (count <= 0) {
            throw new IllegalStateException("cannot remove from " + what + ": count is already 0");
        }
        return count - 1;
    }

    static long nonNegative(long v, String field) {
        if (v < 0) {
            throw new IllegalArgumentException(field + " must be >= 0, got " + v);
        }
        return v;
    }
}
