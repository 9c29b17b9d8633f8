package io.vigil.stages;

import java.time.Duration;
import java.util.List;

/**
 * The {@link Performance.Settings} unit tests share: maturity coverage 0.8, verification-bias ratio 0.5, minimum n
 * 50, labels at most 5 days late, orphans kept 30 days, 1 s flush and snapshot intervals,
 * a 30-day label wait and the labelled-outcome CUSUM on at its defaults ({@link Performance.Detection#DEFAULT}).
 */
public final class PerformanceTestSettings {
    private PerformanceTestSettings() {}

    public static Performance.Settings withWindows(Integer... windowDays) {
        return new Performance.Settings(
                List.of(windowDays),
                0.8,
                0.5,
                50,
                5,
                30,
                Duration.ofSeconds(1),
                Duration.ofSeconds(1),
                Duration.ofDays(30),
                Performance.Detection.DEFAULT);
    }
}
