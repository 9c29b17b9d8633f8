package io.vigil.sim;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes events as JSON lines (UTF-8, {@code \n}-terminated): predictions and ground truth to two
 * streams, or both, interleaved in event order, to one stream. In a merged file a line with
 * {@code occurred_at} is a prediction and a line with {@code observed_at} a ground truth.
 */
public final class JsonLinesSink implements SimSink {
    /** File name of the predictions in {@link #toDirectory(Path, boolean)}. */
    public static final String PREDICTIONS_FILE = "predictions.jsonl";
    /** File name of the ground truth in {@link #toDirectory(Path, boolean)}. */
    public static final String GROUND_TRUTH_FILE = "ground_truth.jsonl";
    /** File name of the merged stream in {@link #toDirectory(Path, boolean)}. */
    public static final String MERGED_FILE = "events.jsonl";

    private final OutputStream predictions;
    private final OutputStream groundTruth;

    /** Writes predictions to {@code predictions} and labels to {@code groundTruth} (may be the same stream); closes both. */
    public JsonLinesSink(OutputStream predictions, OutputStream groundTruth) {
        this.predictions = predictions;
        this.groundTruth = groundTruth;
    }

    /**
     * Creates {@code dir} if needed and writes {@value #PREDICTIONS_FILE} and {@value #GROUND_TRUTH_FILE},
     * or only {@value #MERGED_FILE} when {@code merged}; existing files are replaced.
     */
    public static JsonLinesSink toDirectory(Path dir, boolean merged) throws IOException {
        Files.createDirectories(dir);
        if (merged) {
            OutputStream out = buffered(dir.resolve(MERGED_FILE));
            return new JsonLinesSink(out, out);
        }
        return new JsonLinesSink(buffered(dir.resolve(PREDICTIONS_FILE)), buffered(dir.resolve(GROUND_TRUTH_FILE)));
    }

    private static OutputStream buffered(Path file) throws IOException {
        return new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
    }

    @Override
    public void accept(SimEvent event) {
        OutputStream out = event.isPrediction() ? predictions : groundTruth;
        try {
            out.write(EventJson.bytes(event));
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + event.type(), e);
        }
    }

    @Override
    public void close() {
        IOException failure = null;
        for (OutputStream out : predictions == groundTruth
                ? new OutputStream[] {predictions}
                : new OutputStream[] {predictions, groundTruth}) {
            try {
                out.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw new UncheckedIOException("cannot close JSON lines output", failure);
        }
    }
}
