package io.vigil.events;

import java.util.List;
import java.util.Objects;

/** An accepted prediction with the (capped) slices it contributes to, {@link Slice#ALL} first. */
public record SlicedPrediction(Prediction prediction, List<Slice> slices) {
    public SlicedPrediction {
        Objects.requireNonNull(prediction, "prediction");
        slices = List.copyOf(slices);
    }
}
