package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.cli.SoakCheck.Counted;
import io.vigil.cli.SoakCheck.HeapSample;
import io.vigil.cli.SoakCheck.Sent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SoakCheckTest {
    private static final Map<String, Sent> SENT = Map.of(
            "predictions", new Sent(10_000, 40, 60),
            "ground_truth", new Sent(5_000, 0, 50));
    private static final Map<String, Counted> EXACT = Map.of(
            "predictions", new Counted(10_040, 59, 1),
            "ground_truth", new Counted(5_000, 50, 0));

    /** One sample a minute for 30 minutes: {@code first} MB before minute 15, {@code last} MB after. */
    private static List<HeapSample> heap(long firstMb, long lastMb) {
        List<HeapSample> out = new ArrayList<>();
        for (int m = 0; m < 30; m++) {
            out.add(new HeapSample(m + 0.5, (m < 15 ? firstMb : lastMb) << 20));
        }
        return out;
    }

    @Test
    void shouldPassWhenEveryRecordIsAccountedForOnceAndTheHeapIsFlat() {
        SoakCheck.Verdict v = SoakCheck.check(SENT, EXACT, heap(200, 215), 30, 0, true);

        assertThat(v.passed()).as(String.join("\n", v.lines())).isTrue();
        assertThat(v.lines()).allMatch(l -> l.startsWith("PASS"));
    }

    @Test
    void shouldFailWhenOneRecordIsLostOrCountedTwice() {
        Map<String, Counted> lost =
                Map.of("predictions", new Counted(10_039, 59, 1), "ground_truth", new Counted(5_000, 50, 0));
        Map<String, Counted> twice =
                Map.of("predictions", new Counted(10_040, 59, 1), "ground_truth", new Counted(5_001, 50, 0));
        // A valid record dead-lettered instead of accepted: the totals still add up, the split does not.
        Map<String, Counted> misjudged =
                Map.of("predictions", new Counted(10_039, 60, 1), "ground_truth", new Counted(5_000, 50, 0));

        for (Map<String, Counted> counted : List.of(lost, twice, misjudged)) {
            SoakCheck.Verdict v = SoakCheck.check(SENT, counted, heap(200, 200), 30, 0, true);
            assertThat(v.passed()).isFalse();
            assertThat(v.lines())
                    .filteredOn(l -> l.startsWith("FAIL"))
                    .hasSize(1)
                    .allMatch(l -> l.contains("accounting"));
        }
    }

    @Test
    void shouldFailWhenAStreamWasNeverCounted() {
        SoakCheck.Verdict v =
                SoakCheck.check(SENT, Map.of("predictions", new Counted(10_040, 60, 0)), heap(200, 200), 30, 0, true);

        assertThat(v.passed()).isFalse();
        assertThat(v.lines()).anyMatch(l -> l.startsWith("FAIL accounting ground_truth"));
    }

    @Test
    void shouldFailWhenTheHeapGrowsOrShrinksByMoreThanTenPercent() {
        assertThat(SoakCheck.check(SENT, EXACT, heap(200, 221), 30, 0, true).passed())
                .isFalse();
        assertThat(SoakCheck.check(SENT, EXACT, heap(200, 179), 30, 0, true).passed())
                .isFalse();
        assertThat(SoakCheck.check(SENT, EXACT, heap(200, 219), 30, 0, true).passed())
                .isTrue();
    }

    @Test
    void shouldFailWhenTheRunIsTooShortToCompareTwoTenMinuteWindows() {
        SoakCheck.Verdict v = SoakCheck.check(SENT, EXACT, heap(200, 200).subList(0, 15), 15, 0, true);

        assertThat(v.passed()).isFalse();
        assertThat(v.lines()).anyMatch(l -> l.startsWith("FAIL heap"));
    }

    @Test
    void shouldFailOnADeadlockAMissingThreadDumpOrNotReadyAtTheEnd() {
        assertThat(SoakCheck.check(SENT, EXACT, heap(200, 200), 30, 1, true).passed())
                .isFalse();
        assertThat(SoakCheck.check(SENT, EXACT, heap(200, 200), 30, -1, true).passed())
                .isFalse();
        assertThat(SoakCheck.check(SENT, EXACT, heap(200, 200), 30, 0, false).passed())
                .isFalse();
    }

    @Test
    void shouldTakeTheMedianOfEachWindowSoOneOutlierDoesNotDecide() {
        List<HeapSample> heap = heap(200, 200);
        heap.set(29, new HeapSample(29.5, 900L << 20));

        assertThat(SoakCheck.median(heap, 20, Double.MAX_VALUE)).isEqualTo(200L << 20);
        assertThat(SoakCheck.check(SENT, EXACT, heap, 30, 0, true).passed()).isTrue();
    }

    @Test
    void shouldReadTheIngestCountsPerStreamLeavingOutTheOutcomeJoinStage() {
        String page = """
                # TYPE vigil_ingest_records_total counter
                vigil_ingest_records_total{outcome="accepted",reason="none",stage="ingest",stream="predictions"} 100.0
                vigil_ingest_records_total{outcome="dead_lettered",reason="invalid",stage="ingest",stream="predictions"} 3.0
                vigil_ingest_records_total{outcome="dead_lettered",reason="malformed",stage="ingest",stream="predictions"} 2.0
                vigil_ingest_records_total{outcome="dropped",reason="too_large",stage="handler",stream="predictions"} 1.0
                vigil_ingest_records_total{outcome="accepted",reason="none",stage="ingest",stream="ground_truth"} 40.0
                vigil_ingest_records_total{outcome="dead_lettered",reason="unmatched_label",stage="outcome_join",stream="ground_truth"} 9.0
                vigil_ingest_records_totally_other{stream="predictions",outcome="accepted"} 1000.0
                """;

        assertThat(SoakCommand.counted(page))
                .isEqualTo(Map.of(
                        "predictions", new Counted(100, 5, 1),
                        "ground_truth", new Counted(40, 0, 0)));
    }
}
