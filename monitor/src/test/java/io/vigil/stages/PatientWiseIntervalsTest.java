package io.vigil.stages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.vigil.events.MetricSnapshot;
import io.vigil.stats.Estimate;
import io.vigil.stats.Wilson;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Patient-wise intervals through the whole topology (issue 18, Must 6): the outcome join gives each change its
 * subject id, the subject pairing pairs a patient's labelled studies and the performance stage widens the
 * intervals by their within-patient covariance. Checked where the answer is known without the code: when every
 * study of a patient is identical (same label, same score), m studies of a patient carry no more information than
 * one, so the interval of 3 studies each of 60 patients must equal the ordinary interval of the 60 patients.
 */
class PatientWiseIntervalsTest {
    private static final Instant T0 = Instant.parse("2026-12-01T08:00:00Z");
    private static final String SECRET = "a-secret-of-at-least-16-chars";
    private static final int PATIENTS = 60;
    private static final int STUDIES = 3;

    @Test
    void shouldGiveTheIntervalOfOneStudyPerPatientWhenEveryStudyOfAPatientIsIdenticalInAnyArrivalOrder() {
        for (long seed : new long[] {1, 2, 3}) {
            try (OutcomeDriver d =
                    new OutcomeDriver(Map.of("stability.subject-key-secret", SECRET, "outcomes.min-n", 10))) {
                int positives = feed(d, seed, true);

                MetricSnapshot prevalence = d.all("7d", "prevalence");
                Estimate perPatient = Wilson.interval(positives, PATIENTS);
                assertThat(prevalence.estimate()).isCloseTo((double) positives / PATIENTS, within(1e-12));
                assertThat(prevalence.n()).isEqualTo(PATIENTS * STUDIES);
                assertThat(prevalence.lower()).as("seed %d", seed).isCloseTo(perPatient.lower(), within(1e-12));
                assertThat(prevalence.upper()).as("seed %d", seed).isCloseTo(perPatient.upper(), within(1e-12));

                // Sensitivity: labelled positives are the positive patients' studies, decisions identical per patient.
                MetricSnapshot sensitivity = d.all("7d", "sensitivity");
                long detected = Math.round(sensitivity.estimate() * positives * STUDIES) / STUDIES;
                Estimate perPositivePatient = Wilson.interval(detected, positives);
                assertThat(sensitivity.lower()).isCloseTo(perPositivePatient.lower(), within(1e-12));
                assertThat(sensitivity.upper()).isCloseTo(perPositivePatient.upper(), within(1e-12));
            }
        }
    }

    @Test
    void shouldTakeStudiesAsIndependentWhenNoSecretIsSetOrPatientWiseIntervalsAreOff() {
        for (Map<String, Object> config : List.<Map<String, Object>>of(
                Map.of("outcomes.min-n", 10),
                Map.of("stability.subject-key-secret", SECRET, "outcomes.patient-wise", false, "outcomes.min-n", 10))) {
            try (OutcomeDriver d = new OutcomeDriver(config)) {
                int positives = feed(d, 1, true);

                MetricSnapshot prevalence = d.all("7d", "prevalence");
                Estimate perStudy = Wilson.interval((long) positives * STUDIES, (long) PATIENTS * STUDIES);
                assertThat(prevalence.lower()).as("%s", config).isCloseTo(perStudy.lower(), within(1e-12));
                assertThat(prevalence.upper()).as("%s", config).isCloseTo(perStudy.upper(), within(1e-12));
            }
        }
    }

    @Test
    void shouldTakeStudiesAsIndependentWhenEveryPatientHasOneStudy() {
        try (OutcomeDriver d =
                new OutcomeDriver(Map.of("stability.subject-key-secret", SECRET, "outcomes.min-n", 10))) {
            int positives = feed(d, 4, false);

            MetricSnapshot prevalence = d.all("7d", "prevalence");
            Estimate perStudy = Wilson.interval((long) positives * STUDIES, (long) PATIENTS * STUDIES);
            assertThat(prevalence.lower()).isCloseTo(perStudy.lower(), within(1e-12));
            assertThat(prevalence.upper()).isCloseTo(perStudy.upper(), within(1e-12));
        }
    }

    /**
     * 60 patients of 3 identical studies on different days, predictions and labels in a shuffled order, one study
     * per patient first labelled wrongly and then revised. Subject keys are the patients' (or, when
     * {@code repeatSubjects} is false, one per study). Returns the number of positive patients.
     */
    private static int feed(OutcomeDriver d, long seed, boolean repeatSubjects) {
        Random random = new Random(seed);
        List<Runnable> events = new ArrayList<>();
        List<Runnable> revisions = new ArrayList<>();
        int positives = 0;
        Map<String, Integer> labels = new HashMap<>();
        for (int p = 0; p < PATIENTS; p++) {
            int label = p % 3 == 0 ? 1 : 0;
            positives += label;
            double score = label == 1 ? (p % 2 == 0 ? 0.8 : 0.3) : (p % 5 == 0 ? 0.7 : 0.2);
            for (int s = 0; s < STUDIES; s++) {
                String id = "pred-" + p + "-" + s;
                String subject = repeatSubjects ? "MRN-" + p : "MRN-" + p + "-" + s;
                Instant at = T0.plus(Duration.ofDays(s * 2L)).plusSeconds(p);
                events.add(() -> d.predict(OutcomeDriver.prediction(id, at, "v1", score, 0.5, "S01", "A", subject)));
                labels.put(id, label);
                if (s == 1) {
                    events.add(() -> d.label(id, 1 - label, at.plus(Duration.ofDays(1)), 0));
                    revisions.add(() -> d.label(id, label, at.plus(Duration.ofDays(2)), 1));
                } else {
                    events.add(() -> d.label(id, label, at.plus(Duration.ofDays(1)), 0));
                }
            }
        }
        Collections.shuffle(events, random);
        Collections.shuffle(revisions, random);
        events.forEach(Runnable::run);
        revisions.forEach(Runnable::run);
        d.advanceWall(Duration.ofDays(31)); // labels that came before their prediction are joined by now
        d.flushAndDrain();
        return positives;
    }
}
