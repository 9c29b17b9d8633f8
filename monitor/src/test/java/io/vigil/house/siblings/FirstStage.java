package io.vigil.house.siblings;

/** A fixture for ArchitectureTest: a "stage" that uses its sibling, which the rule must catch. */
public final class FirstStage {
    public int run() {
        return new SecondStage().value();
    }
}
