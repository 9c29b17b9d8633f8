package io.vigil.sim;

import java.util.Collection;
import java.util.Map;

/** Range checks for scenario records; messages name the field, the allowed range and the value. */
final class Checks {
    private Checks() {}

    static double finite(double v, String field) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(field + " must be a finite number, was " + v);
        }
        return v;
    }

    static double unit(double v, String field) {
        if (!(v >= 0.0 && v <= 1.0)) {
            throw new IllegalArgumentException(field + " must be in [0,1], was " + v);
        }
        return v;
    }

    static double openUnit(double v, String field) {
        if (!(v > 0.0 && v < 1.0)) {
            throw new IllegalArgumentException(field + " must be in (0,1), was " + v);
        }
        return v;
    }

    static double nonNegative(double v, String field) {
        if (!(v >= 0.0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(field + " must be a finite number >= 0, was " + v);
        }
        return v;
    }

    static double positive(double v, String field) {
        if (!(v > 0.0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(field + " must be a finite number > 0, was " + v);
        }
        return v;
    }

    static String text(String s, String field) {
        if (s == null || s.isBlank()) {
            throw new IllegalArgumentException(field + " is required");
        }
        return s;
    }

    static <T extends Collection<?>> T nonEmpty(T c, String field) {
        if (c == null || c.isEmpty()) {
            throw new IllegalArgumentException(field + " must not be empty");
        }
        return c;
    }

    /** Weights must be finite, {@code >= 0}, and not all zero. */
    static void weights(Map<String, Double> weights, String field) {
        if (weights == null || weights.isEmpty()) {
            throw new IllegalArgumentException(field + " must not be empty");
        }
        double sum = 0;
        for (Map.Entry<String, Double> e : weights.entrySet()) {
            if (e.getValue() == null) {
                throw new IllegalArgumentException(field + "." + e.getKey() + " is required");
            }
            sum += nonNegative(e.getValue(), field + "." + e.getKey());
        }
        if (!(sum > 0)) {
            throw new IllegalArgumentException(field + " weights must not all be zero");
        }
    }
}
