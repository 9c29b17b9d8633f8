package io.vigil.stages;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.events.GroundTruth;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.Prediction;
import io.vigil.stages.shared.EventDay;
import io.vigil.topics.JoinPartitions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 17, Must 3: the same predictions and labels fed in three orders (every label first, every
 * prediction first, a fixed shuffle) join the same labels and publish the same numbers, equal to a batch
 * computation of which labels count (observed within labels.max-delay-days of their prediction's day).
 * Six scanners over 200 days move event time far past each other's labels; the production topology
 * runs in a TopologyTestDriver with the default label wait (30 days of wall clock: the whole replay
 * takes none).
 */
class OutcomeJoinOrderTest {
    private static final Instant T0 = Instant.parse("2026-01-01T08:00:00Z");
    private static final int MAX_DELAY_DAYS = 60;
    private static final List<String> METRICS = List.of("labelled", "prevalence", "sensitivity", "auc", "brier");

    private record Event(Prediction prediction, GroundTruth label) {}

    /** 1,200 predictions on six scanners over 200 days; 85% labelled 0-80 days later; 30 labels without a prediction. */
    private static List<Event> events() {
        Random r = new Random(17);
        List<Event> out = new ArrayList<>();
        for (int i = 0; i < 1_200; i++) {
            String scanner = "CT-" + (i % 6);
            Instant at = T0.plus(Duration.ofMinutes(r.nextInt(200 * 24 * 60)));
            int y = r.nextDouble() < 0.3 ? 1 : 0;
            double score = Math.min(1, Math.max(0, 0.35 * y + 0.4 * r.nextDouble() + 0.1));
            out.add(new Event(OutcomeDriver.prediction("p" + i, at, "v1", score, 0.5, "S0" + (i % 3), scanner), null));
            if (r.nextDouble() < 0.85) {
                Instant observed = at.plus(Duration.ofHours(r.nextInt(80 * 24)));
                out.add(new Event(null, new GroundTruth("p" + i, y, observed, "pathology", 0)));
            }
        }
        for (int i = 0; i < 30; i++) {
            out.add(new Event(
                    null, new GroundTruth("ghost" + i, 1, T0.plus(Duration.ofDays(r.nextInt(200))), "pathology", 0)));
        }
        return out;
    }

    /** Labels that must join: observed no later than max delay days after the prediction's UTC day. */
    private static long batchJoined(List<Event> events) {
        Map<String, Long> predictionDay = new TreeMap<>();
        events.stream()
                .filter(e -> e.prediction() != null)
                .forEach(e -> predictionDay.put(
                        e.prediction().predictionId(),
                        EventDay.ofEpochMilli(e.prediction().occurredAt().toEpochMilli())));
        return events.stream()
                .filter(e -> e.label() != null)
                .filter(e -> {
                    Long day = predictionDay.get(e.label().predictionId());
                    return day != null
                            && EventDay.ofEpochMilli(e.label().observedAt().toEpochMilli()) <= day + MAX_DELAY_DAYS;
                })
                .count();
    }

    private record Result(Map<String, Long> counts, Map<String, Double> published) {}

    private static Result run(List<Event> ordered, JoinPartitions partitions) {
        try (OutcomeDriver d = new OutcomeDriver(Map.of("labels.max-delay-days", MAX_DELAY_DAYS), partitions)) {
            int n = 0;
            for (Event e : ordered) {
                if (e.prediction() != null) {
                    d.predict(e.prediction());
                } else {
                    d.label(e.label());
                }
                if (++n % 200 == 0) {
                    d.flushAndDrain();
                }
            }
            Map<String, Double> published = new TreeMap<>();
            for (Map.Entry<String, MetricSnapshot> s : d.snapshot().entrySet()) {
                String metric = s.getValue().metric();
                if (METRICS.contains(metric) && s.getValue().estimate() != null) {
                    published.put(s.getKey(), s.getValue().estimate());
                }
            }
            return new Result(d.joinCounts(), published);
        }
    }

    /**
     * The join's partition count as startup sets it: unknown (every record through the repartition topic), 1
     * (every record in place) and 4 (the driver reads partition 0, so the ids of partitions 1 to 3 take the
     * repartition topic): the path changes nothing but the repartition counts.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4})
    void shouldJoinTheSameLabelsAndPublishTheSameNumbersWhateverTheArrivalOrder(int joinPartitions) {
        JoinPartitions partitions = joinPartitions == 0 ? JoinPartitions.unknown() : JoinPartitions.of(joinPartitions);
        List<Event> events = events();
        List<Event> labelsFirst =
                new ArrayList<>(events.stream().filter(e -> e.label() != null).toList());
        labelsFirst.addAll(events.stream().filter(e -> e.prediction() != null).toList());
        List<Event> predictionsFirst = new ArrayList<>(
                events.stream().filter(e -> e.prediction() != null).toList());
        predictionsFirst.addAll(events.stream().filter(e -> e.label() != null).toList());
        List<Event> shuffled = new ArrayList<>(events);
        Collections.shuffle(shuffled, new Random(5));

        long expected = batchJoined(events);
        Result a = run(labelsFirst, partitions);
        Result b = run(predictionsFirst, partitions);
        Result c = run(shuffled, partitions);

        System.out.printf(
                "[order] %d join partitions: batch %d; joined: labels first %d, predictions first %d, shuffled %d;"
                        + " repartitioned %d predictions, %d labels%n",
                joinPartitions,
                expected,
                a.counts().get(OutcomeJoin.LABELS_JOINED),
                b.counts().get(OutcomeJoin.LABELS_JOINED),
                c.counts().get(OutcomeJoin.LABELS_JOINED),
                a.counts().getOrDefault(OutcomeJoin.PREDICTIONS_REPARTITIONED, 0L),
                a.counts().getOrDefault(OutcomeJoin.LABELS_REPARTITIONED, 0L));
        for (Result x : List.of(a, b, c)) {
            assertThat(x.counts().get(OutcomeJoin.LABELS_JOINED)).isEqualTo(expected);
            assertThat(x.counts().getOrDefault(OutcomeJoin.PREDICTIONS_REPARTITIONED, 0L))
                    .isEqualTo(elsewhere(events, true, joinPartitions));
            assertThat(x.counts().getOrDefault(OutcomeJoin.LABELS_REPARTITIONED, 0L))
                    .isEqualTo(elsewhere(events, false, joinPartitions));
        }
        assertThat(expected).isBetween(700L, 1_000L);
        assertThat(a.published()).hasSizeGreaterThan(50);
        assertThat(b.published()).isEqualTo(a.published());
        assertThat(c.published()).isEqualTo(a.published());
        assertThat(a.published())
                .isEqualTo(run(shuffled, JoinPartitions.unknown()).published());
    }

    /** Records read from partition 0 whose id belongs elsewhere: all when the count is unknown (0). */
    private static long elsewhere(List<Event> events, boolean predictions, int joinPartitions) {
        return events.stream()
                .filter(e -> (e.prediction() != null) == predictions)
                .map(e ->
                        predictions ? e.prediction().predictionId() : e.label().predictionId())
                .filter(id -> joinPartitions == 0 || JoinPartitions.partitionOf(id, joinPartitions) != 0)
                .count();
    }
}
