package io.vigil.benchmarks;

import io.vigil.events.GroundTruth;
import io.vigil.events.Prediction;
import io.vigil.serde.Json;
import io.vigil.sim.Scenario;
import io.vigil.sim.SimEvent;
import io.vigil.sim.Simulator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Benchmark inputs from the project's own simulator (default scenario, fixed seed): the same
 * predictions and labels {@code vigil demo} and {@code vigil bench} produce, serialised as the
 * producers would. Deterministic: every fork sees the same records in the same order.
 */
final class Inputs {
    /** Records per input array; benchmarks cycle through it so branch predictors and caches see variety. */
    static final int SIZE = 4096;

    static final long SEED = 42;
    static final LocalDate START = LocalDate.of(2026, 1, 1);
    static final int DAYS = 120;
    /** The validators' processing time: after every simulated event, so none is rejected as future. */
    static final Instant NOW = Instant.parse("2026-11-22T00:00:00Z");

    private static final Pattern SCORE = Pattern.compile("\"score\":[0-9.eE+-]+");

    final List<Prediction> predictions = new ArrayList<>();
    final List<GroundTruth> labels = new ArrayList<>();

    private Inputs(int predictionCount, int labelCount) {
        Simulator sim =
                Simulator.create(Scenario.builtIn("default"), SEED, START, DAYS).withLabelHorizon(Duration.ofDays(365));
        for (SimEvent e : sim) {
            if (e.isPrediction()) {
                if (predictions.size() < predictionCount) {
                    predictions.add(e.prediction());
                }
            } else if (labels.size() < labelCount) {
                labels.add(e.groundTruth());
            }
            if (predictions.size() >= predictionCount && labels.size() >= labelCount) {
                return;
            }
        }
        throw new IllegalStateException("the simulator produced " + predictions.size() + " predictions and "
                + labels.size() + " labels, fewer than asked");
    }

    /** The first {@code predictions} predictions and {@code labels} labels of the simulated network. */
    static Inputs of(int predictions, int labels) {
        return new Inputs(predictions, labels);
    }

    /** A labelled outcome: the prediction and its (first) label, as the outcome join pairs them. */
    record Outcome(Prediction prediction, GroundTruth label) {}

    /** The first {@code n} labels of the simulated network whose prediction came first, with that prediction. */
    static List<Outcome> outcomes(int n) {
        Map<String, Prediction> byId = new HashMap<>();
        List<Outcome> out = new ArrayList<>(n);
        Simulator sim =
                Simulator.create(Scenario.builtIn("default"), SEED, START, DAYS).withLabelHorizon(Duration.ofDays(365));
        for (SimEvent e : sim) {
            if (e.isPrediction()) {
                byId.put(e.key(), e.prediction());
            } else {
                Prediction p = byId.remove(e.key());
                if (p != null) {
                    out.add(new Outcome(p, e.groundTruth()));
                    if (out.size() == n) {
                        return out;
                    }
                }
            }
        }
        throw new IllegalStateException("the simulator produced " + out.size() + " outcomes, fewer than " + n);
    }

    static byte[] json(Object value) {
        try {
            return Json.mapper().writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The prediction's JSON with its score replaced by 1.7: rejected by the schema's {@code maximum}. */
    static byte[] withBadScore(byte[] prediction) {
        String text = new String(prediction, StandardCharsets.UTF_8);
        Matcher m = SCORE.matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("no score in " + text.length() + "-byte prediction");
        }
        return m.replaceFirst("\"score\":1.7").getBytes(StandardCharsets.UTF_8);
    }

    /** Sizes in bytes: min, mean, max. */
    static String sizes(byte[][] records) {
        long sum = 0;
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (byte[] r : records) {
            sum += r.length;
            min = Math.min(min, r.length);
            max = Math.max(max, r.length);
        }
        return min + "/" + (sum / records.length) + "/" + max;
    }
}
