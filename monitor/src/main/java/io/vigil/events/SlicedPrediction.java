package io.vigil.events;

import java.util.List;
import java.util.Objects;

/**
 * An accepted prediction with the (capped) slices it contributes to, {@link Slice#ALL} first, and
 * each slice's group key {@code model|version|dimension|value} (same index), built once here rather
 * than in every stage that aggregates by group.
 */
public record SlicedPrediction(Prediction prediction, List<Slice> slices, List<String> groups) {
    public SlicedPrediction {
        Objects.requireNonNull(prediction, "prediction");
        slices = List.copyOf(slices);
        groups = List.copyOf(groups);
        if (groups.size() != slices.size()) {
            throw new IllegalArgumentException("one group per slice");
        }
    }

    public SlicedPrediction(Prediction prediction, List<Slice> slices) {
        this(prediction, slices, groupsOf(prediction, slices));
    }

    /** The group key of a slice of a model version: {@code model|version|dimension|value}. */
    public static String group(ModelRef model, String dimension, String value) {
        return model.id() + "|" + model.version() + "|" + dimension + "|" + value;
    }

    private static List<String> groupsOf(Prediction p, List<Slice> slices) {
        String prefix = p.model().id() + "|" + p.model().version() + "|";
        String[] out = new String[slices.size()];
        for (int i = 0; i < out.length; i++) {
            Slice s = slices.get(i);
            out[i] = prefix + s.dimension() + "|" + s.value();
        }
        return List.of(out);
    }
}
