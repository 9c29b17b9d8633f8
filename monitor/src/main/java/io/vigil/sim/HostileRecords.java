package io.vigil.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.serde.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * What a hostile or buggy producer sends, made from a valid event: each record comes with the ingest
 * outcome it must get, so that a run can check that every record was accepted or dead-lettered as it
 * should (and none was lost or counted twice). Deterministic for a seed.
 *
 * <ul>
 *   <li>{@link Kind#TRUNCATED_JSON}: the valid JSON cut in half (dead-lettered);</li>
 *   <li>{@link Kind#NOT_UTF8}: bytes that are not UTF-8 (dead-lettered);</li>
 *   <li>{@link Kind#WRONG_TYPE}: a required field of the wrong JSON type (dead-lettered);</li>
 *   <li>{@link Kind#OVERLONG_ID}: a 300-character scanner id, over the contract's 64 (dead-lettered);</li>
 *   <li>{@link Kind#HOSTILE_IDS}: a valid prediction whose site and scanner ids carry quotes, a backslash,
 *       a newline, BEL, NUL, a right-to-left mark and markup (accepted; every output must sanitise them);</li>
 *   <li>{@link Kind#OVERSIZED}: 1.5 MiB of unterminated JSON, more than the dead-letter topic takes
 *       whole (dead-lettered, truncated).</li>
 * </ul>
 * Ground truth gets the kinds that apply to it (no ids to make hostile).
 */
public final class HostileRecords {
    /** A kind of hostile record and whether ingest must accept it. */
    public enum Kind {
        TRUNCATED_JSON(false),
        NOT_UTF8(false),
        WRONG_TYPE(false),
        OVERLONG_ID(false),
        HOSTILE_IDS(true),
        OVERSIZED(false);

        public final boolean accepted;

        Kind(boolean accepted) {
            this.accepted = accepted;
        }
    }

    /** One record: its kind, Kafka key and value bytes. */
    public record Hostile(Kind kind, String key, byte[] value) {}

    /** Ids with every character class a Prometheus label, a JSON body or a web page must survive; ≤ 64. */
    static final String HOSTILE_ID = "q\"b\\n\nbel\u0007nul\u0000rtl\u202E<img src=x onerror=alert(1)>";
    /** Size of an {@link Kind#OVERSIZED} record: over the broker's default 1 MiB message limit. */
    public static final int OVERSIZED_BYTES = 3 << 19;

    private static final Kind[] PREDICTION_KINDS = {
        Kind.TRUNCATED_JSON, Kind.NOT_UTF8, Kind.WRONG_TYPE, Kind.OVERLONG_ID, Kind.HOSTILE_IDS
    };
    private static final Kind[] LABEL_KINDS = {Kind.TRUNCATED_JSON, Kind.NOT_UTF8, Kind.WRONG_TYPE};

    private final SplittableRandom random;
    private final double oversizedFraction;
    private long made;

    /**
     * @param seed              seed of the kinds chosen
     * @param oversizedFraction share of prediction hostiles that are {@link Kind#OVERSIZED} (they are
     *                          heavy on the broker: 1.5 MiB each)
     */
    public HostileRecords(long seed, double oversizedFraction) {
        this.random = new SplittableRandom(seed);
        this.oversizedFraction = oversizedFraction;
    }

    /** A hostile prediction made from a valid prediction's JSON; its key is a new prediction id. */
    public Hostile prediction(byte[] validJson) {
        Kind kind = random.nextDouble() < oversizedFraction
                ? Kind.OVERSIZED
                : PREDICTION_KINDS[random.nextInt(PREDICTION_KINDS.length)];
        return make(kind, validJson);
    }

    /** A hostile ground-truth record made from a valid label's JSON. */
    public Hostile groundTruth(byte[] validJson) {
        return make(LABEL_KINDS[random.nextInt(LABEL_KINDS.length)], validJson);
    }

    private Hostile make(Kind kind, byte[] validJson) {
        String key = "hostile-" + made++;
        ObjectNode tree = parse(validJson);
        tree.put("prediction_id", key);
        byte[] value = switch (kind) {
            case TRUNCATED_JSON -> {
                byte[] whole = bytes(tree);
                yield Arrays.copyOf(whole, whole.length / 2);
            }
            case NOT_UTF8 -> new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, (byte) 0xFF, '"', ':', '1', '}'};
            case WRONG_TYPE -> {
                if (tree.has("score")) {
                    tree.put("score", "high");
                } else {
                    tree.put("observed_at", 12_345);
                }
                yield bytes(tree);
            }
            case OVERLONG_ID -> {
                ((ObjectNode) tree.get("scanner")).put("id", "x".repeat(300));
                yield bytes(tree);
            }
            case HOSTILE_IDS -> {
                tree.put("site", HOSTILE_ID);
                ((ObjectNode) tree.get("scanner")).put("id", HOSTILE_ID);
                yield bytes(tree);
            }
            case OVERSIZED -> {
                byte[] big = new byte[OVERSIZED_BYTES];
                Arrays.fill(big, (byte) 'a');
                byte[] head = ("{\"prediction_id\":\"" + key + "\",\"attributes\":{\"x\":\"")
                        .getBytes(StandardCharsets.UTF_8);
                System.arraycopy(head, 0, big, 0, head.length);
                yield big;
            }
        };
        return new Hostile(kind, key, value);
    }

    private static ObjectNode parse(byte[] json) {
        try {
            JsonNode node = Json.mapper().readTree(json);
            return (ObjectNode) node;
        } catch (IOException e) {
            throw new UncheckedIOException("Not a JSON object", e);
        }
    }

    private static byte[] bytes(JsonNode tree) {
        try {
            return Json.mapper().writeValueAsBytes(tree);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
