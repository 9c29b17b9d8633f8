package io.vigil.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private static final Duration INITIAL = Duration.ofMillis(500);
    private static final Duration MAX = Duration.ofSeconds(60);

    @Test
    void shouldDoubleTheCapPerAttemptUpToTheMaximum() {
        assertThat(Backoff.cap(1, INITIAL, MAX)).isEqualTo(Duration.ofMillis(500));
        assertThat(Backoff.cap(2, INITIAL, MAX)).isEqualTo(Duration.ofMillis(1000));
        assertThat(Backoff.cap(5, INITIAL, MAX)).isEqualTo(Duration.ofMillis(8000));
        assertThat(Backoff.cap(8, INITIAL, MAX)).isEqualTo(MAX);
        assertThat(Backoff.cap(1_000, INITIAL, MAX)).isEqualTo(MAX);
    }

    @Test
    void shouldDrawDelaysWithinZeroAndTheCapWhenJitterIsFull() {
        SplittableRandom random = new SplittableRandom(7);
        for (int attempt = 1; attempt <= 20; attempt++) {
            Duration cap = Backoff.cap(attempt, INITIAL, MAX);
            double sum = 0;
            for (int i = 0; i < 2000; i++) {
                Duration d = Backoff.delay(attempt, INITIAL, MAX, random.nextDouble());
                assertThat(d).isBetween(Duration.ZERO, cap);
                sum += d.toMillis();
            }
            // Full jitter: mean cap/2; the sd of a mean of 2000 uniforms is cap/sqrt(12 x 2000) ~ cap/155.
            assertThat(sum / 2000)
                    .isCloseTo(cap.toMillis() / 2.0, org.assertj.core.data.Offset.offset(cap.toMillis() * 4.0 / 155));
        }
        assertThat(Backoff.delay(3, INITIAL, MAX, 0.0)).isEqualTo(Duration.ZERO);
    }

    @Test
    void shouldParseRetryAfterWhenGivenAsSeconds() {
        Instant now = Instant.parse("2026-03-01T12:00:00Z");
        assertThat(Backoff.retryAfter("120", now)).contains(Duration.ofSeconds(120));
        assertThat(Backoff.retryAfter(" 1 ", now)).contains(Duration.ofSeconds(1));
        assertThat(Backoff.retryAfter("0", now)).contains(Duration.ZERO);
    }

    @Test
    void shouldParseRetryAfterWhenGivenAsHttpDate() {
        Instant now = Instant.parse("2015-10-21T07:27:00Z");
        assertThat(Backoff.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now)).contains(Duration.ofSeconds(60));
        assertThat(Backoff.retryAfter("Wed, 21 Oct 2015 07:20:00 GMT", now)).contains(Duration.ZERO);
    }

    @Test
    void shouldIgnoreRetryAfterWhenAbsentOrMalformed() {
        Instant now = Instant.parse("2026-03-01T12:00:00Z");
        assertThat(Backoff.retryAfter(null, now)).isEmpty();
        assertThat(Backoff.retryAfter("", now)).isEmpty();
        assertThat(Backoff.retryAfter("-5", now)).isEmpty();
        assertThat(Backoff.retryAfter("soon", now)).isEmpty();
        assertThat(Backoff.retryAfter("99999999999999999999999", now)).isEmpty();
    }
}
