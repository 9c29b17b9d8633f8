package io.vigil.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class StallDetectorTest {
    private final StallDetector detector = new StallDetector(Duration.ofSeconds(180));

    @Test
    void shouldCallItStuckWhenInputWaitsAndNothingIsCommittedForTheTimeout() {
        detector.observe(0, 500, 1_000);
        detector.observe(100_000, 700, 1_000);
        assertThat(detector.stalled(179_999)).isFalse();

        detector.observe(180_000, 900, 1_000);

        assertThat(detector.stalled(180_000)).isTrue();
        assertThat(detector.stalledFor(200_000)).isEqualTo(Duration.ofSeconds(200));
        assertThat(detector.lag()).isEqualTo(900);
    }

    @Test
    void shouldNotCallItStuckWhileCommittedOffsetsAdvanceHoweverLargeTheLag() {
        for (long t = 0, committed = 0; t <= 600_000; t += 10_000, committed += 50) {
            detector.observe(t, 1_000_000, committed);
        }
        assertThat(detector.stalled(600_000)).isFalse();
        assertThat(detector.stalledFor(600_000)).isEqualTo(Duration.ofSeconds(0));
    }

    @Test
    void shouldNeverCallIdleInputStuck() {
        detector.observe(0, 0, 1_000);
        detector.observe(3_600_000, 0, 1_000);

        assertThat(detector.stalled(3_600_000)).isFalse();
        assertThat(detector.stalledFor(3_600_000)).isZero();
    }

    @Test
    void shouldStartCountingWhenInputArrivesAfterAnIdleHourNotBefore() {
        detector.observe(0, 0, 1_000);
        detector.observe(3_600_000, 10, 1_000);

        assertThat(detector.stalled(3_600_000)).isFalse();
        assertThat(detector.stalled(3_600_000 + 179_000)).isFalse();
        assertThat(detector.stalled(3_600_000 + 180_000)).isTrue();
    }

    @Test
    void shouldRecoverAsSoonAsAnOffsetIsCommittedAgain() {
        detector.observe(0, 10, 1_000);
        detector.observe(200_000, 10, 1_000);
        assertThat(detector.stalled(200_000)).isTrue();

        detector.observe(210_000, 5, 1_005);

        assertThat(detector.stalled(210_000)).isFalse();
    }

    @Test
    void shouldSayNothingBeforeTheFirstSample() {
        assertThat(detector.stalled(1_000_000)).isFalse();
    }
}
