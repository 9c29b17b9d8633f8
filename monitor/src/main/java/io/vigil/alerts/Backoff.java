package io.vigil.alerts;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * Retry timing of webhook deliveries. Exponential backoff with full jitter (AWS Architecture Blog,
 * "Exponential Backoff And Jitter", 2015): the delay before retry {@code attempt} (1-based) is uniform
 * in [0, min(max, initial x 2^(attempt-1))], so receivers recovering from an outage are not hit by
 * synchronised retries. A receiver's {@code Retry-After} (RFC 9110 10.2.3: delay-seconds or an
 * HTTP-date) replaces the computed delay.
 */
public final class Backoff {
    private Backoff() {}

    /** Upper end of the jitter range before retry {@code attempt} (>= 1). */
    public static Duration cap(int attempt, Duration initial, Duration max) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be >= 1, got " + attempt);
        }
        int shift = Math.min(attempt - 1, 40);
        long ms = initial.toMillis() > (max.toMillis() >> shift) ? max.toMillis() : initial.toMillis() << shift;
        return Duration.ofMillis(Math.min(ms, max.toMillis()));
    }

    /**
     * Full-jitter delay before retry {@code attempt}.
     *
     * @param uniform a draw from [0, 1)
     */
    public static Duration delay(int attempt, Duration initial, Duration max, double uniform) {
        if (!(uniform >= 0 && uniform < 1)) {
            throw new IllegalArgumentException("uniform must be in [0, 1), got " + uniform);
        }
        return Duration.ofMillis((long) Math.floor(cap(attempt, initial, max).toMillis() * uniform));
    }

    /**
     * The wait a {@code Retry-After} header asks for, or empty when absent or unparseable. A date in the
     * past means no wait.
     */
    public static Optional<Duration> retryAfter(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return Optional.empty();
        }
        String v = header.trim();
        if (v.chars().allMatch(Character::isDigit)) {
            try {
                return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        try {
            Instant at =
                    ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            return Optional.of(at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
