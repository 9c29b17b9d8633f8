package io.vigil.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.testing.Events;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PredictionTest {

    @Test
    void shouldKeepEverythingButIdTimeAndModelWhenRestamped() {
        Prediction x = new Prediction(
                "p-1",
                Instant.parse("2026-01-01T00:00:00Z"),
                Events.MODEL,
                "binary",
                0.7,
                0.4,
                1,
                "S02",
                new Scanner("CT-2", "GE", "Revolution", "1.0", "CT", "CHEST"),
                "subj-1",
                "st-1",
                new Demographics("M", "50-59"),
                0.1,
                false,
                Map.of("kvp", 120.0),
                Map.of("protocol", "low-dose"));
        ModelRef other = new ModelRef("other", "9.9.9");
        Prediction y = x.restamped("p-2", Instant.parse("2026-12-06T03:04:05Z"), other);
        assertThat(y)
                .isEqualTo(new Prediction(
                        "p-2",
                        Instant.parse("2026-12-06T03:04:05Z"),
                        other,
                        "binary",
                        0.7,
                        0.4,
                        1,
                        "S02",
                        new Scanner("CT-2", "GE", "Revolution", "1.0", "CT", "CHEST"),
                        "subj-1",
                        "st-1",
                        new Demographics("M", "50-59"),
                        0.1,
                        false,
                        Map.of("kvp", 120.0),
                        Map.of("protocol", "low-dose")));
    }
}
