package io.vigil.stats.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Reference values from the classpath resources under {@code golden/} (see its README.md), kept
 * outside {@code io.vigil.stats} so that the statistics package itself never sees Jackson.
 */
public final class Golden {

    private static final JsonNode ROOT = readJson("golden/golden.json");
    private static final List<Row> WDBC = readScores("golden/wdbc_scores.csv", false);
    private static final List<Row> FLEET = readScores("golden/fleet_scores.csv", true);

    private Golden() {}

    /** One labelled case: the slice it belongs to (scanner, or "" for WDBC), its score and label. */
    public record Row(String slice, double score, int label) {}

    /** A data set, the threshold, and golden.json's values for it. */
    public record Case(String name, double threshold, List<Row> rows, JsonNode expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    public static List<Row> wdbc() {
        return WDBC;
    }

    public static List<Row> fleet() {
        return FLEET;
    }

    /** Every golden section with labelled metrics: WDBC at 0.5 and 0.3, the fleet and each scanner. */
    public static Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();
        JsonNode wdbc = ROOT.get("wdbc_scores.csv");
        cases.add(new Case("wdbc@0.5", 0.5, WDBC, wdbc.get("threshold_0.5")));
        cases.add(new Case("wdbc@0.3", 0.3, WDBC, wdbc.get("threshold_0.3")));
        JsonNode fleet = ROOT.get("fleet_scores.csv");
        cases.add(new Case("fleet", 0.5, FLEET, fleet.get("all")));
        TreeSet<String> scanners = new TreeSet<>();
        FLEET.forEach(r -> scanners.add(r.slice()));
        for (String scanner : scanners) {
            List<Row> rows =
                    FLEET.stream().filter(r -> r.slice().equals(scanner)).toList();
            cases.add(new Case(
                    "fleet/" + scanner, 0.5, rows, Objects.requireNonNull(fleet.get("scanner=" + scanner), scanner)));
        }
        return cases.stream();
    }

    private static InputStream open(String resource) {
        return Objects.requireNonNull(Golden.class.getClassLoader().getResourceAsStream(resource), resource);
    }

    private static JsonNode readJson(String resource) {
        try (InputStream in = open(resource)) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Row> readScores(String resource, boolean withScanner) {
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(open(resource), StandardCharsets.UTF_8))) {
            List<Row> rows = new ArrayList<>();
            reader.readLine();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                String[] f = line.split(",");
                rows.add(
                        withScanner
                                ? new Row(f[1], Double.parseDouble(f[2]), Integer.parseInt(f[3]))
                                : new Row("", Double.parseDouble(f[0]), Integer.parseInt(f[1])));
            }
            return List.copyOf(rows);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
