package io.vigil.app;

import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

class StreamThreadFailuresTest {
    private Instant now = Instant.parse("2026-11-22T03:00:00Z");
    private final StreamThreadFailures failures = new StreamThreadFailures(new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    });

    private static StreamsException transientFailure() {
        return new StreamsException("task [0_1] commit failed", new ProducerFencedException("fenced"));
    }

    @Test
    void aTransientFailureGetsANewThreadUpToFiveTimesInTenMinutesThenKafkaStreamsStops() {
        for (int i = 0; i < StreamThreadFailures.MAX_REPLACEMENTS; i++) {
            assertThat(failures.handle(transientFailure()))
                    .as("failure %d", i + 1)
                    .isEqualTo(REPLACE_THREAD);
            now = now.plus(Duration.ofMinutes(1));
        }

        assertThat(failures.handle(transientFailure())).isEqualTo(SHUTDOWN_CLIENT);
    }

    @Test
    void failuresOlderThanTheWindowNoLongerCount() {
        for (int i = 0; i < StreamThreadFailures.MAX_REPLACEMENTS; i++) {
            assertThat(failures.handle(transientFailure())).isEqualTo(REPLACE_THREAD);
        }
        now = now.plus(StreamThreadFailures.WINDOW).plusMillis(1);

        assertThat(failures.handle(transientFailure())).isEqualTo(REPLACE_THREAD);
    }

    @Test
    void aLibraryThatCannotInitialiseOrAnOutOfMemoryErrorStopsKafkaStreamsAtOnce() {
        // A library whose class initialiser threw (as DataSketches 6.2 did on Java 25 by its version check).
        Throwable classInit = new StreamsException(
                "failed to flush state store",
                new ExceptionInInitializerError(new IllegalArgumentException("Unsupported JDK Major Version")));
        Throwable noClass = new StreamsException(new NoClassDefFoundError("Could not initialize class ResourceImpl"));

        assertThat(failures.handle(classInit)).isEqualTo(SHUTDOWN_CLIENT);
        assertThat(failures.handle(noClass)).isEqualTo(SHUTDOWN_CLIENT);
        assertThat(failures.handle(new OutOfMemoryError("Java heap space"))).isEqualTo(SHUTDOWN_CLIENT);
        assertThat(StreamThreadFailures.fatalCause(transientFailure())).isNull();
    }
}
