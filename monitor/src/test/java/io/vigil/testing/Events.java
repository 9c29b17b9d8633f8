package io.vigil.testing;

import io.vigil.events.Demographics;
import io.vigil.events.GroundTruth;
import io.vigil.events.ModelRef;
import io.vigil.events.Prediction;
import io.vigil.events.Scanner;
import io.vigil.serde.Json;
import java.time.Instant;
import java.util.Map;

/** Test fixtures: valid events and their JSON bytes. */
public final class Events {
    public static final ModelRef MODEL = new ModelRef("chest-ct-nodule", "2.3.0");

    private Events() {}

    public static Prediction prediction(String id, double score, Instant at) {
        return prediction(id, score, at, "S01", "CT-1", "5.0");
    }

    public static Prediction prediction(
            String id, double score, Instant at, String site, String scanner, String software) {
        return new Prediction(
                id,
                at,
                MODEL,
                "binary",
                score,
                0.5,
                null,
                site,
                new Scanner(scanner, "Siemens", "SOMATOM Force", software, "CT", "CHEST"),
                null,
                null,
                new Demographics("F", "60-69"),
                null,
                null,
                Map.of(),
                Map.of());
    }

    public static GroundTruth label(String predictionId, int label, Instant observedAt, int revision) {
        return new GroundTruth(predictionId, label, observedAt, "pathology", revision);
    }

    public static byte[] json(Object event) {
        try {
            return Json.mapper().writeValueAsBytes(event);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
