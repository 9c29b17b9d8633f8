package io.vigil.events;

import java.util.Objects;

/** A deployed model version: {@code id} names the model, {@code version} the released build. */
public record ModelRef(String id, String version) {
    /** Both become label values and page text: made safe here, once ({@link SafeText}). */
    public ModelRef {
        id = SafeText.of(Objects.requireNonNull(id, "model.id"));
        version = SafeText.of(Objects.requireNonNull(version, "model.version"));
    }
}
