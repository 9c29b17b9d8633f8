package io.vigil.stats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Golden drift samples and reference values (copied from ../shared/golden), read from the classpath. */
final class DriftGolden {

    private static Map<String, double[]> samples;
    private static JsonNode json;

    private DriftGolden() {}

    static synchronized double[] sample(String name) {
        if (samples == null) {
            samples = readSamples();
        }
        double[] v = samples.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no sample " + name);
        }
        return v.clone();
    }

    /** golden.json section {@code drift_samples.csv}. */
    static synchronized JsonNode drift() {
        if (json == null) {
            try (InputStream in = resource("/golden/golden.json")) {
                json = new ObjectMapper().readTree(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return json.get("drift_samples.csv");
    }

    static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    private static Map<String, double[]> readSamples() {
        Map<String, List<Double>> lists = new LinkedHashMap<>();
        try (InputStream in = resource("/golden/drift_samples.csv")) {
            String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
            for (int i = 1; i < lines.length; i++) {
                String line = lines[i].strip();
                if (line.isEmpty()) {
                    continue;
                }
                String[] parts = line.split(",");
                lists.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(Double.parseDouble(parts[1]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, double[]> out = new LinkedHashMap<>();
        lists.forEach(
                (k, v) -> out.put(k, v.stream().mapToDouble(Double::doubleValue).toArray()));
        return out;
    }

    private static InputStream resource(String path) {
        InputStream in = DriftGolden.class.getResourceAsStream(path);
        if (in == null) {
            throw new IllegalStateException("missing test resource " + path);
        }
        return in;
    }
}
