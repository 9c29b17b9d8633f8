package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ObservedExpectedSumsTest {

    @Test
    void shouldSumEventsRisksAndTheirCumulantsOfTheLabelledCases() {
        ObservedExpectedSums s = new ObservedExpectedSums();
        s.add(0.1, 0, 1);
        s.add(0.3, 1, 1);
        s.add(0.8, 1, 1);

        ObservedExpectedReference.Day d = s.day(7);
        assertThat(d.day()).isEqualTo(7);
        assertThat(d.labelled()).isEqualTo(3);
        assertThat(d.observed()).isEqualTo(2);
        assertThat(d.expected()).isCloseTo(1.2, within(1e-9));
        // Σ p(1-p) = 0.09 + 0.21 + 0.16; Σ p(1-p)(1-2p) = 0.072 + 0.084 - 0.096
        assertThat(d.variance()).isCloseTo(0.46, within(1e-9));
        assertThat(d.thirdCumulant()).isCloseTo(0.06, within(1e-9));
    }

    @Test
    void shouldCancelARetractionExactlyWhetherItComesBeforeOrAfterItsAdditionAndSurviveTheRoundTrip() {
        ObservedExpectedSums kept = new ObservedExpectedSums();
        kept.add(0.37, 1, 1);
        ObservedExpectedSums retractedFirst = new ObservedExpectedSums();
        retractedFirst.add(0.123456789, 0, -1);
        ObservedExpectedReference.Day partial = retractedFirst.day(1);
        // a partial holding only a retraction reads as empty, not as a negative cohort
        assertThat(partial.labelled()).isZero();
        retractedFirst.add(0.37, 1, 1);
        retractedFirst.add(0.123456789, 0, 1);

        assertThat(retractedFirst).isEqualTo(kept);
        assertThat(retractedFirst.toBytes()).isEqualTo(kept.toBytes());
        ObservedExpectedSums merged = new ObservedExpectedSums();
        merged.merge(ObservedExpectedSums.fromBytes(retractedFirst.toBytes()));
        assertThat(merged).isEqualTo(kept);
    }

    @Test
    void shouldRejectRisksOutsideTheUnitIntervalSignsOtherThanOneAndAForeignFormat() {
        ObservedExpectedSums s = new ObservedExpectedSums();
        assertThatThrownBy(() -> s.add(1.2, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.add(Double.NaN, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.add(0.5, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        byte[] bytes = s.toBytes();
        bytes[0] = 9;
        assertThatThrownBy(() -> ObservedExpectedSums.fromBytes(bytes)).isInstanceOf(IllegalArgumentException.class);
    }
}
