package io.vigil.events;

import java.util.Objects;

/**
 * One slice a prediction belongs to: a dimension ({@code all}, {@code site}, {@code scanner},
 * {@code scanner_model}, {@code software}, {@code sex}, {@code age_band}, {@code attr.<name>})
 * and its value. Values are bounded per dimension; overflow is {@link #OTHER}.
 */
public record Slice(String dimension, String value) {
    public static final String OTHER = "other";
    public static final Slice ALL = new Slice("all", "all");

    /** Both parts become label values and page text: made safe here, once ({@link SafeText}). */
    public Slice {
        dimension = SafeText.of(Objects.requireNonNull(dimension, "dimension"));
        value = SafeText.of(Objects.requireNonNull(value, "value"));
    }

    @Override
    public String toString() {
        return dimension + "=" + value;
    }
}
