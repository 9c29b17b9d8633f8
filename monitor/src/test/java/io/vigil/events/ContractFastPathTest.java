package io.vigil.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.events.EventValidator.EventType;
import io.vigil.serde.Json;
import io.vigil.sim.EventJson;
import io.vigil.sim.Scenario;
import io.vigil.sim.SimEvent;
import io.vigil.sim.Simulator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The fast path of {@link EventValidator} must be sound: whatever {@link ContractFastPath} accepts,
 * the full path (JSON Schema walk + binding) accepts with an equal record. Checked on the contract
 * examples, on simulator output, and on thousands of mutations of them (every field removed, every
 * value replaced by values on and across each rule's edges, unknown fields, duplicate keys,
 * timestamps in every form the format allows or forbids). The valid corpus must also take the fast
 * path, or it would not be the hot path it is meant to be.
 */
class ContractFastPathTest {
    /** Later than every timestamp the mutations use: the future-time rule is not the fast path's (it stays in the validator). */
    private static final Instant NOW = Instant.parse("9999-12-31T23:59:59Z");

    private static final EventValidator VALIDATOR = new EventValidator();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** Replacement values for any scalar: each on or across an edge of some rule of the contracts. */
    private static final List<JsonNode> VALUES = List.of(
            NODES.nullNode(),
            NODES.booleanNode(true),
            NODES.booleanNode(false),
            NODES.textNode(""),
            NODES.textNode("x"),
            NODES.textNode("x".repeat(64)),
            NODES.textNode("x".repeat(65)),
            NODES.textNode("x".repeat(128)),
            NODES.textNode("x".repeat(129)),
            NODES.textNode("\uD83D\uDE00".repeat(64)),
            NODES.textNode("\uD83D\uDE00".repeat(65)),
            NODES.textNode("é".repeat(64)),
            NODES.textNode("é".repeat(65)),
            NODES.textNode("binary"),
            NODES.textNode("multiclass"),
            NODES.textNode("Binary"),
            NODES.textNode("F"),
            NODES.textNode("f"),
            NODES.textNode("X"),
            NODES.textNode("40-49"),
            NODES.textNode("90+"),
            NODES.textNode("1234-5"),
            NODES.textNode("40-"),
            NODES.textNode("40-49\n"),
            NODES.textNode("４0-49"),
            NODES.textNode("0.5"),
            NODES.numberNode(0),
            NODES.numberNode(1),
            NODES.numberNode(-1),
            NODES.numberNode(2),
            NODES.numberNode(0.0),
            NODES.numberNode(1.0),
            NODES.numberNode(-0.0),
            NODES.numberNode(0.5),
            NODES.numberNode(1e-300),
            NODES.numberNode(Math.nextDown(1.0)),
            NODES.numberNode(Math.nextUp(1.0)),
            NODES.numberNode(1.5),
            NODES.numberNode(-0.25),
            NODES.numberNode(120.0),
            NODES.numberNode(2147483647),
            NODES.numberNode(2147483648L),
            NODES.numberNode(-2147483648L),
            NODES.numberNode(12345678901234567890.0),
            NODES.numberNode(new java.math.BigDecimal("1.00000000000000000001")),
            NODES.numberNode(new java.math.BigDecimal("0.99999999999999999999")),
            NODES.numberNode(new java.math.BigDecimal("-0.00000000000000000001")),
            NODES.numberNode(new java.math.BigInteger("123456789012345678901234567890")),
            NODES.arrayNode(),
            NODES.objectNode());

    private static final List<String> TIMESTAMPS = List.of(
            "2026-03-01T10:00:00Z",
            "2026-03-01T10:00:00.1Z",
            "2026-03-01T10:00:00.123456789Z",
            "2026-03-01T10:00:00.1234567891Z",
            "2026-03-01T10:00:00+18:00",
            "2026-03-01T10:00:00-18:00",
            "2026-03-01T10:00:00+18:01",
            "2026-03-01T10:00:00-05:30",
            "2026-03-01T10:00:00.5+05:45",
            "2026-03-01t10:00:00Z",
            "2026-03-01T10:00:60Z",
            "2025-02-29T10:00:00Z",
            "2024-02-29T23:59:59.999999999-00:01",
            "2026-3-01T10:00:00Z",
            "2026-03-01T10:00:00",
            "2026-03-01 10:00:00Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "2026-03-01T24:00:00Z",
            "2026-03-01T10:00:00z",
            "2026-03-01T10:00:00+0100",
            "2026-03-01T10:00:00.Z",
            "2029-12-31T23:59:59Z",
            "2031-01-01T00:00:00Z");

    private static final List<String> NAMES = List.of(
            "kvp", "slice_thickness_mm", "a", "A.b-c_9", "1abc", "a b", "é", "a".repeat(64), "a".repeat(65), "", "x\n");

    @Test
    void shouldAcceptOnlyWhatTheFullPathAcceptsWithAnEqualRecord() throws IOException {
        int fastAccepted = 0;
        int fullAccepted = 0;
        int cases = 0;
        for (Corpus c : corpus()) {
            for (byte[] raw : mutations(c.type, c.raw)) {
                cases++;
                Object fast = c.type == EventType.PREDICTION
                        ? ContractFastPath.prediction(raw)
                        : ContractFastPath.groundTruth(raw);
                Validation<?> full = VALIDATOR.validateFullPath(c.type, raw, NOW);
                if (full instanceof Validation.Accepted<?>) {
                    fullAccepted++;
                }
                if (fast != null) {
                    fastAccepted++;
                    assertThat(full)
                            .as(
                                    "full path on a record the fast path accepted: %s",
                                    new String(raw, StandardCharsets.UTF_8))
                            .isInstanceOf(Validation.Accepted.class);
                    assertThat(((Validation.Accepted<?>) full).value())
                            .as(new String(raw, StandardCharsets.UTF_8))
                            .isEqualTo(fast);
                }
            }
        }
        System.out.printf(
                "[fast-path] %d cases: full path accepted %d, fast path accepted %d%n",
                cases, fullAccepted, fastAccepted);
        // The mutations must exercise both sides, or the test proves nothing.
        assertThat(cases).isGreaterThan(5_000);
        assertThat(fastAccepted).isGreaterThan(1_000);
        assertThat(fullAccepted - fastAccepted)
                .as("records only the full path accepts (numeric edges)")
                .isPositive();
        assertThat(cases - fullAccepted).as("rejected mutations").isGreaterThan(2_000);
    }

    @Test
    void shouldTakeTheFastPathForEveryValidRecordOfTheSimulatorAndTheExamples() throws IOException {
        int n = 0;
        for (Corpus c : corpus()) {
            Object fast = c.type == EventType.PREDICTION
                    ? ContractFastPath.prediction(c.raw)
                    : ContractFastPath.groundTruth(c.raw);
            Validation<?> full = VALIDATOR.validateFullPath(c.type, c.raw, NOW);
            if (full instanceof Validation.Accepted<?> a && !onNumericEdge(c.raw)) {
                assertThat(fast).as(new String(c.raw, StandardCharsets.UTF_8)).isEqualTo(a.value());
                n++;
            }
        }
        assertThat(n).isGreaterThan(500);
    }

    @Test
    void shouldGiveTheSameResultThroughThePublicMethodsAsTheFullPath() throws IOException {
        for (Corpus c : corpus()) {
            List<byte[]> all = mutations(c.type, c.raw);
            for (byte[] raw : all.subList(0, Math.min(20, all.size()))) {
                Validation<?> viaPublic = VALIDATOR.validate(c.type, raw, NOW);
                Validation<?> full = VALIDATOR.validateFullPath(c.type, raw, NOW);
                assertThat(viaPublic)
                        .as(new String(raw, StandardCharsets.UTF_8))
                        .isEqualTo(full);
            }
        }
    }

    @Test
    void shouldStillRejectAFutureEventTimeOnTheFastPath() throws IOException {
        byte[] raw = corpus().get(0).raw;
        Object fast = ContractFastPath.prediction(raw);
        assertThat(fast).isNotNull();
        Instant at = ((Prediction) fast).occurredAt();
        assertThat(VALIDATOR.prediction(raw, at.minusSeconds(3600)))
                .isInstanceOfSatisfying(
                        Validation.Rejected.class,
                        r -> assertThat(r.reason().code()).isEqualTo(Reason.FUTURE_TIMESTAMP));
        assertThat(VALIDATOR.prediction(raw, at)).isInstanceOf(Validation.Accepted.class);
    }

    /** Scores and thresholds of exactly 0 or 1 are valid but left to the full path by design. */
    private static boolean onNumericEdge(byte[] raw) throws IOException {
        JsonNode n = Json.mapper().readTree(raw);
        for (String f : List.of("score", "threshold", "uncertainty")) {
            if (n.has(f)
                    && (!n.get(f).isFloatingPointNumber()
                            || n.get(f).asDouble() == 0.0
                            || n.get(f).asDouble() == 1.0)) {
                return true;
            }
        }
        return false;
    }

    private record Corpus(EventType type, byte[] raw) {}

    private static List<Corpus> corpus() throws IOException {
        List<Corpus> out = new ArrayList<>();
        for (EventType type : List.of(EventType.PREDICTION, EventType.GROUND_TRUTH)) {
            for (String kind : List.of("valid", "invalid")) {
                for (Path f : ContractExamplesTest.files(type, kind)) {
                    byte[] raw = Files.readAllBytes(f);
                    EXAMPLES.add(new String(raw, StandardCharsets.UTF_8));
                    out.add(new Corpus(type, raw));
                }
            }
        }
        Simulator.of(Scenario.builtIn("default"), 7L, LocalDate.of(2026, 1, 1), 30)
                .limit(600)
                .forEach(e -> out.add(new Corpus(
                        e.type() == SimEvent.Type.PREDICTION ? EventType.PREDICTION : EventType.GROUND_TRUTH,
                        EventJson.bytes(e))));
        // Valid first, so corpus().get(0) is a valid prediction.
        out.sort((a, b) -> Boolean.compare(!isValid(a), !isValid(b)));
        return out;
    }

    private static final java.util.Set<String> EXAMPLES = new java.util.HashSet<>();

    private static boolean isExample(byte[] raw) {
        return EXAMPLES.contains(new String(raw, StandardCharsets.UTF_8));
    }

    private static boolean isValid(Corpus c) {
        return VALIDATOR.validateFullPath(c.type, c.raw, NOW) instanceof Validation.Accepted<?>;
    }

    /** The record itself, then every single-step mutation of its tree, then byte-level ones. */
    private static List<byte[]> mutations(EventType type, byte[] raw) throws IOException {
        List<byte[]> out = new ArrayList<>();
        out.add(raw);
        JsonNode root;
        try {
            root = Json.mapper().readTree(raw);
        } catch (IOException e) {
            return out;
        }
        if (!(root instanceof ObjectNode obj)) {
            return out;
        }
        // Mutations are only worth their cost on some records (every example, 1 in 12 simulated ones):
        // the rules repeat from record to record.
        if (Math.floorMod(java.util.Arrays.hashCode(raw), 12) != 0 && raw.length > 0 && !isExample(raw)) {
            return out;
        }
        mutate(obj, obj, out);
        String text = new String(raw, StandardCharsets.UTF_8).trim();
        out.add((text + " {}").getBytes(StandardCharsets.UTF_8));
        out.add((text + "x").getBytes(StandardCharsets.UTF_8));
        out.add(text.replaceFirst("\\{", "{\"prediction_id\":\"dup\",").getBytes(StandardCharsets.UTF_8));
        out.add(text.replaceFirst("\\{", "{\"site\":\"dup\",").getBytes(StandardCharsets.UTF_8));
        out.add(text.substring(0, text.length() - 1).getBytes(StandardCharsets.UTF_8));
        out.add(("[" + text + "]").getBytes(StandardCharsets.UTF_8));
        return out;
    }

    private static void mutate(ObjectNode root, ObjectNode node, List<byte[]> out) throws IOException {
        List<String> fields = new ArrayList<>();
        node.fieldNames().forEachRemaining(fields::add);
        // An unknown field; and, in maps, names on and across the pattern's edges.
        node.put("unknown_field", 1);
        out.add(bytes(root));
        node.remove("unknown_field");
        for (String name : NAMES) {
            if (!node.has(name)) {
                node.put(name, 1.5);
                out.add(bytes(root));
                node.put(name, "v");
                out.add(bytes(root));
                node.remove(name);
            }
        }
        for (String f : fields) {
            JsonNode original = node.get(f);
            node.remove(f);
            out.add(bytes(root));
            if (original instanceof ObjectNode child) {
                node.set(f, child);
                mutate(root, child, out);
                for (JsonNode v :
                        List.of(NODES.nullNode(), NODES.textNode("x"), NODES.arrayNode(), NODES.objectNode())) {
                    node.set(f, v);
                    out.add(bytes(root));
                }
            } else {
                for (JsonNode v : VALUES) {
                    node.set(f, v);
                    out.add(bytes(root));
                }
                if (f.endsWith("_at")) {
                    for (String ts : TIMESTAMPS) {
                        node.put(f, ts);
                        out.add(bytes(root));
                    }
                }
            }
            // Put it back in its place (ObjectNode keeps insertion order; order does not matter to the rules).
            node.set(f, original);
        }
        // Too many map entries.
        if (node.size() > 0 && allNumbers(node)) {
            ObjectNode big = node.deepCopy();
            for (int i = 0; i < 70; i++) {
                big.put("f" + i, i);
            }
            ObjectNode copy = root.deepCopy();
            replace(copy, node, big, root);
            out.add(bytes(copy));
        }
    }

    private static boolean allNumbers(ObjectNode node) {
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            if (!it.next().getValue().isNumber()) {
                return false;
            }
        }
        return true;
    }

    /** Replaces, in {@code copy} (a deep copy of {@code root}), the node at the path of {@code target}. */
    private static void replace(ObjectNode copy, ObjectNode target, ObjectNode with, ObjectNode root) {
        Iterator<Map.Entry<String, JsonNode>> it = root.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue() == target) {
                copy.set(e.getKey(), with);
                return;
            }
        }
    }

    private static byte[] bytes(JsonNode node) throws IOException {
        return Json.mapper().writeValueAsBytes(node);
    }
}
