package io.vigil.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.events.EventValidator.EventType;
import io.vigil.serde.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Issue 17, Must 9: differential fuzzing of the two ways a record is validated. Whatever bytes arrive,
 * (1) validation never throws; (2) a record the hand-written fast path accepts, the JSON Schema path
 * accepts too, with an equal value (the fast path may defer, never disagree); (3) the public method, which
 * tries the fast path first, gives what the schema path alone gives. Inputs: valid examples with random
 * byte edits, and valid examples with a random field replaced by random JSON (numbers at the edges,
 * strings with control characters and surrogates, nesting, wrong types). Fixed seeds; about 10 s.
 */
class ContractFuzzTest {
    private static final Instant NOW = Instant.parse("9999-12-31T23:59:59Z");
    private static final EventValidator VALIDATOR = new EventValidator();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final List<byte[]> PREDICTIONS = examples("prediction");
    private static final List<byte[]> LABELS = examples("ground_truth");

    private static List<byte[]> examples(String type) {
        List<byte[]> out = new ArrayList<>();
        try (var files = Files.list(Path.of("../schemas/examples", type, "valid"))) {
            for (Path f : files.sorted().toList()) {
                out.add(Files.readAllBytes(f));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The three properties on one input of one contract. */
    private static void agree(EventType type, byte[] raw) {
        Object fast =
                type == EventType.PREDICTION ? ContractFastPath.prediction(raw) : ContractFastPath.groundTruth(raw);
        Validation<?> full = VALIDATOR.validateFullPath(type, raw, NOW);
        Validation<?> viaPublic = VALIDATOR.validate(type, raw, NOW);
        String shown = new String(raw, StandardCharsets.UTF_8);
        if (fast != null) {
            assertThat(full)
                    .as("schema path on what the fast path accepted: %s", shown)
                    .isInstanceOf(Validation.Accepted.class);
            assertThat(((Validation.Accepted<?>) full).value()).as(shown).isEqualTo(fast);
        }
        assertThat(viaPublic).as(shown).isEqualTo(full);
    }

    @Property(tries = 1_500, seed = "17")
    void fastAndSchemaPathsAgreeOnByteEditsOfValidRecords(@ForAll("byteEdits") Tuple.Tuple2<Boolean, byte[]> input) {
        agree(input.get1() ? EventType.PREDICTION : EventType.GROUND_TRUTH, input.get2());
    }

    @Property(tries = 1_500, seed = "18")
    void fastAndSchemaPathsAgreeOnValidRecordsWithARandomValueInAField(
            @ForAll("fieldReplacements") Tuple.Tuple2<Boolean, byte[]> input) {
        agree(input.get1() ? EventType.PREDICTION : EventType.GROUND_TRUTH, input.get2());
    }

    @Property(tries = 1_000, seed = "19")
    void validationNeverThrowsOnArbitraryBytes(@ForAll byte[] raw) {
        agree(EventType.PREDICTION, raw);
        agree(EventType.GROUND_TRUTH, raw);
    }

    @Provide
    Arbitrary<Tuple.Tuple2<Boolean, byte[]>> byteEdits() {
        return Combinators.combine(
                        Arbitraries.of(true, false),
                        Arbitraries.integers().between(0, 1_000),
                        Arbitraries.integers().between(0, 3),
                        Arbitraries.integers().between(0, 255),
                        Arbitraries.integers().between(0, 10_000))
                .as((prediction, which, op, b, at) -> {
                    List<byte[]> pool = prediction ? PREDICTIONS : LABELS;
                    byte[] raw = pool.get(which % pool.size());
                    int i = at % raw.length;
                    byte[] out = switch (op) {
                        case 0 -> { // replace a byte
                            byte[] c = raw.clone();
                            c[i] = (byte) b.intValue();
                            yield c;
                        }
                        case 1 -> { // insert a byte
                            byte[] c = new byte[raw.length + 1];
                            System.arraycopy(raw, 0, c, 0, i);
                            c[i] = (byte) b.intValue();
                            System.arraycopy(raw, i, c, i + 1, raw.length - i);
                            yield c;
                        }
                        case 2 -> { // delete a byte
                            byte[] c = new byte[raw.length - 1];
                            System.arraycopy(raw, 0, c, 0, i);
                            System.arraycopy(raw, i + 1, c, i, raw.length - i - 1);
                            yield c;
                        }
                        default -> java.util.Arrays.copyOf(raw, i); // truncate
                    };
                    return Tuple.of(prediction, out);
                });
    }

    @Provide
    Arbitrary<Tuple.Tuple2<Boolean, byte[]>> fieldReplacements() {
        return Combinators.combine(
                        Arbitraries.of(true, false),
                        Arbitraries.integers().between(0, 1_000),
                        Arbitraries.integers().between(0, 1_000),
                        jsonValues())
                .as((prediction, which, field, value) -> {
                    List<byte[]> pool = prediction ? PREDICTIONS : LABELS;
                    try {
                        ObjectNode root = (ObjectNode) Json.mapper().readTree(pool.get(which % pool.size()));
                        List<ObjectNode> objects = new ArrayList<>();
                        collect(root, objects);
                        ObjectNode target = objects.get(field % objects.size());
                        List<String> names = new ArrayList<>();
                        target.fieldNames().forEachRemaining(names::add);
                        if (names.isEmpty() || field % 7 == 0) {
                            target.set("extra_" + field % 3, value); // an unknown property
                        } else {
                            target.set(names.get(field % names.size()), value);
                        }
                        return Tuple.of(prediction, Json.mapper().writeValueAsBytes(root));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }

    private static void collect(ObjectNode node, List<ObjectNode> out) {
        out.add(node);
        Iterator<JsonNode> it = node.elements();
        while (it.hasNext()) {
            JsonNode child = it.next();
            if (child instanceof ObjectNode o) {
                collect(o, out);
            }
        }
    }

    /** JSON values at the edges: numbers, strings with every hostile character class, containers, null. */
    private static Arbitrary<JsonNode> jsonValues() {
        Arbitrary<JsonNode> numbers = Arbitraries.oneOf(
                Arbitraries.of(0.0, -0.0, 1.0, 0.5, 1e-300, 1e308, -1.0, 1.0000000000000002, 0.9999999999999999)
                        .map(d -> (JsonNode) NODES.numberNode(d)),
                Arbitraries.of(0L, 1L, -1L, 2L, Long.MAX_VALUE, Long.MIN_VALUE, 2_147_483_648L)
                        .map(l -> (JsonNode) NODES.numberNode(l)),
                Arbitraries.of("1e400", "-1e400", "1E-400", "123456789012345678901234567890", "0.1e1", "1.0")
                        .map(s -> (JsonNode) NODES.numberNode(new java.math.BigDecimal(s))),
                Arbitraries.doubles().map(d -> (JsonNode) NODES.numberNode(d)));
        Arbitrary<JsonNode> strings = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(80).map(s -> (JsonNode) NODES.textNode(s)),
                Arbitraries.strings()
                        .withChars(
                                '\u0000', '\u0007', '\n', '\r', '\u202E', '\uD800', '\uDC00', '"', '\\', 'a', '1', '-',
                                ':', 'T', 'Z')
                        .ofMaxLength(40)
                        .map(s -> (JsonNode) NODES.textNode(s)),
                Arbitraries.of(
                                "2026-03-01T10:00:00Z",
                                "2026-03-01T10:00:00Z\n",
                                "2026-02-30T10:00:00Z",
                                "",
                                "CT",
                                "F",
                                "60-69",
                                "binary",
                                "x".repeat(65),
                                "x".repeat(300))
                        .map(s -> (JsonNode) NODES.textNode(s)));
        Arbitrary<JsonNode> scalars = Arbitraries.oneOf(
                numbers, strings, Arbitraries.of(NODES.booleanNode(true), NODES.booleanNode(false), NODES.nullNode()));
        return Arbitraries.oneOf(
                scalars,
                scalars,
                scalars,
                scalars.list().ofMaxSize(3).map(l ->
                        (JsonNode) NODES.arrayNode().addAll(l)),
                scalars.map(v -> (JsonNode) NODES.objectNode().set("k", v)));
    }
}
