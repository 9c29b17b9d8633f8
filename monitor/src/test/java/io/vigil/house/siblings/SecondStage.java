package io.vigil.house.siblings;

/** A fixture for ArchitectureTest: the sibling {@link FirstStage} uses. */
public final class SecondStage {
    public int value() {
        return 1;
    }
}
