package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.cli.LabelLatency.Observation;
import java.util.List;
import org.junit.jupiter.api.Test;

class LabelLatencyTest {

    private static final String PAGE = """
            # HELP vigil_window_labelled Predictions with a ground-truth label in the window's cohorts
            # TYPE vigil_window_labelled gauge
            vigil_window_labelled{bound="estimate",model="chest-ct",slice="all",slice_value="all",version="1.0",window="90d"} 1200.0
            vigil_window_labelled{bound="estimate",model="chest-ct",slice="all",slice_value="all",version="1.0",window="7d"} 90.0
            vigil_window_labelled{bound="estimate",model="chest-ct",slice="site",slice_value="S01",version="1.0",window="90d"} 400.0
            vigil_window_labelled{bound="estimate",model="chest-ct",slice="all",slice_value="all",version="2.0",window="90d"} 34.0
            vigil_window_labelled_other{bound="estimate",model="chest-ct",slice="all",slice_value="all",version="2.0",window="90d"} 7.0
            vigil_window_predictions{bound="estimate",model="chest-ct",slice="all",slice_value="all",version="1.0",window="90d"} 5000.0
            """;

    @Test
    void shouldSumTheAllSliceOverVersionsWhenReadingTheWidestWindow() {
        assertThat(LabelLatency.labelledAll(PAGE, "90d")).isEqualTo(1234);
        assertThat(LabelLatency.labelledAll(PAGE, "7d")).isEqualTo(90);
    }

    @Test
    void shouldCountOneModelOnlyWhenASecondModelIsTheLoad() {
        String page = PAGE + "vigil_window_labelled{bound=\"estimate\",model=\"live-load\",slice=\"all\","
                + "slice_value=\"all\",version=\"1.0.0\",window=\"90d\"} 50000.0\n";
        assertThat(LabelLatency.labelledAll(page, "90d")).isEqualTo(51234);
        assertThat(LabelLatency.labelledAll(page, "90d", "chest-ct")).isEqualTo(1234);
        assertThat(LabelLatency.labelledAll(page, "90d", "live-load")).isEqualTo(50000);
        assertThat(LabelLatency.labelledAll(page, "90d", "no-such-model")).isEqualTo(-1);
    }

    @Test
    void shouldReportMinusOneWhenThePageHasNoSuchSeries() {
        assertThat(LabelLatency.labelledAll(PAGE, "30d")).isEqualTo(-1);
        assertThat(LabelLatency.labelledAll("", "90d")).isEqualTo(-1);
    }

    @Test
    void shouldTimeEachLabelToTheFirstLaterPollShowingItsCountWhenLabelsArriveInBatches() {
        long[] sent = {100, 200, 300};
        List<Observation> polls = List.of(
                new Observation(150, 10), new Observation(250, 10), new Observation(350, 12), new Observation(450, 13));
        // Baseline 10: label 0 needs 11, first shown at 350; label 1 needs 12 (350); label 2 needs 13 (450).
        assertThat(LabelLatency.latencies(sent, 10, polls)).containsExactly(250, 150, 150);
    }

    @Test
    void shouldNotCreditAPollThatPrecededTheSendWhenTheCountAlreadyMatched() {
        long[] sent = {100};
        List<Observation> polls = List.of(new Observation(50, 11), new Observation(180, 11));
        assertThat(LabelLatency.latencies(sent, 10, polls)).containsExactly(80);
    }

    @Test
    void shouldMarkMinusOneWhenALabelIsNeverShown() {
        long[] sent = {100, 200};
        List<Observation> polls = List.of(new Observation(300, 11));
        assertThat(LabelLatency.latencies(sent, 10, polls)).containsExactly(200, -1);
    }

    @Test
    void shouldTakeNearestRankPercentilesOverSeenLabelsOnly() {
        long[] values = {5, 1, 4, 2, 3, -1, 10, 9, 8, 7, 6};
        assertThat(LabelLatency.percentile(values, 50)).isEqualTo(5);
        assertThat(LabelLatency.percentile(values, 95)).isEqualTo(10);
        assertThat(LabelLatency.percentile(values, 100)).isEqualTo(10);
        assertThat(LabelLatency.percentile(values, 10)).isEqualTo(1);
        assertThat(LabelLatency.percentile(new long[] {-1}, 50)).isEqualTo(-1);
    }
}
