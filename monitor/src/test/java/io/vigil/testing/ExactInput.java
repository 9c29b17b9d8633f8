package io.vigil.testing;

import io.vigil.events.GroundTruth;
import io.vigil.events.Prediction;
import io.vigil.events.Reason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The fixed input of the exactly-once fault tests (kill -9 of the monitor, hard restart of the
 * broker) and what a batch computation over it expects: predictions over the ten days before
 * {@code now} across 2 sites x 2 scanners (about 1 in 250 invalid), labels for about 60% of the valid
 * ones (about 15% of those revised, some sent twice, a few invalid), interleaved so labels follow
 * their predictions by a few hundred records.
 */
public final class ExactInput {
    /** One input record: topic suffix, key (the prediction id the record is about) and value. */
    public record Send(String topic, byte[] key, byte[] value, boolean validPrediction) {}

    public final List<Send> sends = new ArrayList<>();
    /** Invalid predictions by reason code. */
    public final Map<String, Integer> deadPredictions = new TreeMap<>();
    /** Invalid labels by reason code. */
    public final Map<String, Integer> deadLabels = new TreeMap<>();

    public final Map<String, Prediction> valid = new LinkedHashMap<>();
    /** The label each labelled prediction ends with (highest revision). */
    public final Map<String, GroundTruth> finalLabels = new HashMap<>();
    /** Valid label records sent, duplicates and revisions included. */
    public int labelRecords;

    private ExactInput() {}

    public static ExactInput generate(long seed, int predictions, Instant now) {
        Random random = new Random(seed);
        ExactInput in = new ExactInput();
        Instant start = now.minus(Duration.ofDays(10));
        List<Send> pendingLabels = new ArrayList<>();
        for (int i = 0; i < predictions; i++) {
            String id = "p-" + i;
            Instant at = start.plusSeconds(random.nextInt(10 * 86_400 - 3_600));
            double score = Math.round(random.nextDouble() * 1e6) / 1e6;
            String site = i % 2 == 0 ? "S01" : "S02";
            String scanner = (i / 2) % 2 == 0 ? "CT-1" : "CT-2";
            Prediction p = Events.prediction(id, score, at, site, scanner, "5.0");
            String json = new String(Events.json(p), StandardCharsets.UTF_8);
            byte[] key = id.getBytes(StandardCharsets.UTF_8);
            if (i % 250 == 17) {
                int kind = (i / 250) % 3;
                String bad = switch (kind) {
                    case 0 -> "{not json " + i;
                    case 1 -> json.replaceFirst("\"score\":[0-9.E-]+", "\"score\":7");
                    default -> json.replace("\"prediction_id\":\"" + id + "\",", "");
                };
                in.deadPredictions.merge(
                        kind == 0 ? Reason.NOT_JSON : kind == 1 ? Reason.OUT_OF_RANGE : Reason.MISSING_FIELD,
                        1,
                        Integer::sum);
                in.sends.add(new Send("predictions", key, bad.getBytes(StandardCharsets.UTF_8), false));
                continue;
            }
            in.valid.put(id, p);
            in.sends.add(new Send("predictions", key, json.getBytes(StandardCharsets.UTF_8), true));
            if (random.nextDouble() < 0.6) {
                int label = random.nextDouble() < score ? 1 : 0;
                Instant observed = min(at.plus(Duration.ofMinutes(30 + random.nextInt(48 * 60))), now.minusSeconds(60));
                GroundTruth first = Events.label(id, label, observed, 0);
                GroundTruth last = first;
                pendingLabels.add(new Send("ground-truth", key, Events.json(first), false));
                in.labelRecords++;
                double u = random.nextDouble();
                if (u < 0.15) {
                    last = Events.label(
                            id, 1 - label, min(observed.plus(Duration.ofHours(12)), now.minusSeconds(30)), 1);
                    pendingLabels.add(new Send("ground-truth", key, Events.json(last), false));
                    in.labelRecords++;
                } else if (u < 0.20) {
                    pendingLabels.add(new Send("ground-truth", key, Events.json(first), false)); // duplicate delivery
                    in.labelRecords++;
                }
                in.finalLabels.put(id, last);
                if (random.nextInt(500) == 0) {
                    String bad = new String(Events.json(first), StandardCharsets.UTF_8)
                            .replace("\"label\":" + label, "\"label\":\"yes\"");
                    pendingLabels.add(new Send("ground-truth", key, bad.getBytes(StandardCharsets.UTF_8), false));
                    in.deadLabels.merge(Reason.WRONG_TYPE, 1, Integer::sum);
                }
            }
            // Labels trail their predictions by a few hundred records.
            if (pendingLabels.size() > 300) {
                in.sends.addAll(pendingLabels);
                pendingLabels.clear();
            }
        }
        in.sends.addAll(pendingLabels);
        return in;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
