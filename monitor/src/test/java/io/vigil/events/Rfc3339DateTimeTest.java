package io.vigil.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Rfc3339DateTimeTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "2026-11-01T08:15:30Z",
                "2026-11-01T08:15:30.1Z",
                "2026-11-01T08:15:30.123456789Z",
                "2026-11-01T10:15:30+02:00",
                "2026-11-01T03:15:30-05:00",
                "2024-02-29T00:00:00Z",
                "0001-01-01T00:00:00Z",
                "2026-12-31T23:59:59+18:00",
                "2026-12-31T23:59:59-17:59"
            })
    void shouldAcceptAndParseAsInstantWhenTimestampIsRfc3339(String text) {
        assertThat(Rfc3339DateTime.isValid(text)).isTrue();
        assertThat(DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(text, Instant::from))
                .isNotNull();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "2026-11-01",
                "2026-11-01T08:15:30",
                "2026-11-01 08:15:30Z",
                "2026-11-01t08:15:30z",
                "2026-13-01T08:15:30Z",
                "2026-11-31T08:15:30Z",
                "2025-02-29T08:15:30Z",
                "2026-11-01T24:00:00Z",
                "2026-11-01T08:60:00Z",
                "2026-06-30T23:59:60Z",
                "2026-11-01T08:15:30.Z",
                "2026-11-01T08:15:30.1234567890Z",
                "2026-11-01T08:15:30+2:00",
                "2026-11-01T08:15:30+0200",
                "2026-11-01T08:15:30+24:00",
                "2026-11-01T08:15:30+18:01",
                "2026-11-01T08:15:30+23:59",
                "2026-11-01T08:15:30ZZ",
                "0000-01-01T00:00:00Z",
                "+2026-11-01T08:15:30Z",
                "2026-11-01T08:15:30.\u0661Z",
                "1761984930"
            })
    void shouldRejectWhenTimestampIsNotRfc3339(String text) {
        assertThat(Rfc3339DateTime.isValid(text)).isFalse();
    }
}
