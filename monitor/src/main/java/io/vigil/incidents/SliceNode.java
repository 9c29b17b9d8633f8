package io.vigil.incidents;

import java.util.Objects;

/**
 * One slice of one model version in the hierarchy incidents are rooted in: {@code all}, a site, a scanner
 * (site-qualified), a scanner model, a software version. Values are the slice values Vigil publishes.
 */
public record SliceNode(String dimension, String value) {
    public static final SliceNode ALL = new SliceNode("all", "all");

    public SliceNode {
        Objects.requireNonNull(dimension, "dimension");
        Objects.requireNonNull(value, "value");
    }

    @Override
    public String toString() {
        return dimension + "=" + value;
    }
}
