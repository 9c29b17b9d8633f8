package io.vigil.topics;

/** The logical input streams, used as a bounded metric label instead of topic names. */
public enum Input {
    PREDICTIONS("predictions"),
    GROUND_TRUTH("ground_truth");

    public final String label;

    Input(String label) {
        this.label = label;
    }

    /** Name of the state store holding this stream's ingest counts. */
    public String countsStore() {
        return "ingest-" + label.replace('_', '-') + "-counts";
    }

    /** Name of the sink that writes this stream's rejected records to the dead-letter topic. */
    public String deadLetterSinkName() {
        return "ingest-" + label.replace('_', '-') + "-dead-letters";
    }
}
