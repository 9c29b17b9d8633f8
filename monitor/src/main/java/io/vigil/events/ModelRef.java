package io.vigil.events;

import java.util.Objects;

/** A deployed model version: {@code id} names the model, {@code version} the released build. */
public record ModelRef(String id, String version) {
    public ModelRef {
        Objects.requireNonNull(id, "model.id");
        Objects.requireNonNull(version, "model.version");
    }
}
