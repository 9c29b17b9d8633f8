package io.vigil.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.events.EventValidator;
import io.vigil.events.Validation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each hostile kind gets, from the production validator, the outcome the soak's accounting expects of it. */
class HostileRecordsTest {
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    private final EventValidator validator = new EventValidator();

    private static byte[] example(String path) throws Exception {
        return Files.readAllBytes(Path.of("../schemas/examples", path));
    }

    @Test
    void shouldMakeEveryPredictionKindWithTheOutcomeTheValidatorGivesIt() throws Exception {
        byte[] valid = example("prediction/valid/full.json");
        assertThat(validator.prediction(valid, NOW)).isInstanceOf(Validation.Accepted.class);
        HostileRecords hostile = new HostileRecords(1, 0.05);
        Set<HostileRecords.Kind> seen = EnumSet.noneOf(HostileRecords.Kind.class);
        for (int i = 0; i < 400; i++) {
            HostileRecords.Hostile h = hostile.prediction(valid);
            seen.add(h.kind());
            Validation<?> v = validator.prediction(h.value(), NOW);
            assertThat(v instanceof Validation.Accepted).as(h.kind().name()).isEqualTo(h.kind().accepted);
        }
        assertThat(seen).isEqualTo(EnumSet.allOf(HostileRecords.Kind.class));
    }

    @Test
    void shouldMakeEveryLabelKindRejected() throws Exception {
        byte[] valid = example("ground_truth/valid/minimal.json");
        assertThat(validator.groundTruth(valid, NOW)).isInstanceOf(Validation.Accepted.class);
        HostileRecords hostile = new HostileRecords(2, 0);
        for (int i = 0; i < 100; i++) {
            HostileRecords.Hostile h = hostile.groundTruth(valid);
            assertThat(h.kind().accepted).isFalse();
            assertThat(validator.groundTruth(h.value(), NOW))
                    .as(h.kind().name())
                    .isInstanceOf(Validation.Rejected.class);
        }
    }

    @Test
    void shouldGiveEachHostileRecordItsOwnKeyAndMakeOversizedOnesBiggerThanTheBrokerDefault() throws Exception {
        HostileRecords hostile = new HostileRecords(3, 1.0);
        HostileRecords.Hostile a = hostile.prediction(example("prediction/valid/minimal.json"));
        HostileRecords.Hostile b = hostile.prediction(example("prediction/valid/minimal.json"));

        assertThat(a.key()).isNotEqualTo(b.key());
        assertThat(a.kind()).isEqualTo(HostileRecords.Kind.OVERSIZED);
        assertThat(a.value().length).isGreaterThan(1 << 20);
    }
}
