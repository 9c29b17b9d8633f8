package io.vigil.verification;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * The Monte-Carlo loops that every run-length claim shares ({@link RunLengthClaims}, {@link OutcomeRunLengthClaims}):
 * a detector's run length while nothing changes, and its delay after a change, over independent simulated
 * streams, with their Monte-Carlo standard errors. The claims supply the streams; each asks the production
 * detector whether it is in alarm at the end of a day.
 */
final class RunLengths {
    private RunLengths() {}

    /** One simulated stream; days are asked for in increasing order. */
    interface Stream {
        /** Whether the detector is in alarm at the end of day {@code day}. */
        boolean alarmOn(int day);
    }

    /**
     * What the streams gave.
     *
     * @param streams            streams counted (for delays: those without an alarm before the change)
     * @param mean               mean run length or delay, days
     * @param standardError      its Monte-Carlo standard error
     * @param median             median run length (NaN for delays)
     * @param alarmedInFirstYear share of streams with an alarm within 365 days (NaN for delays)
     * @param censored           streams that reached the cap without an alarm (their run counts as the cap)
     */
    record Summary(
            int streams, double mean, double standardError, double median, double alarmedInFirstYear, int censored) {}

    /** Each of {@code streams} streams from day 0 until its first alarm, at most {@code cap} days. */
    static Summary inControl(int streams, int cap, Supplier<Stream> next) {
        double[] runs = new double[streams];
        int firstYear = 0;
        int censored = 0;
        for (int i = 0; i < streams; i++) {
            Stream stream = next.get();
            int run = cap;
            for (int t = 0; t < cap; t++) {
                if (stream.alarmOn(t)) {
                    run = t + 1;
                    break;
                }
            }
            censored += run == cap ? 1 : 0;
            firstYear += run <= 365 ? 1 : 0;
            runs[i] = run;
        }
        double mean = 0;
        for (double r : runs) {
            mean += r;
        }
        mean /= streams;
        double var = 0;
        for (double r : runs) {
            var += (r - mean) * (r - mean);
        }
        double[] sorted = runs.clone();
        Arrays.sort(sorted);
        return new Summary(
                streams,
                mean,
                Math.sqrt(var / (streams - 1) / streams),
                sorted[streams / 2],
                (double) firstYear / streams,
                censored);
    }

    /**
     * Days from {@code changeAfter} (the first changed day) to the first alarm, at most {@code cap}, over the
     * streams not already in alarm at the end of the day before the change.
     */
    static Summary delay(int streams, int changeAfter, int cap, Supplier<Stream> next) {
        double sum = 0;
        double sumSq = 0;
        int counted = 0;
        int censored = 0;
        for (int i = 0; i < streams; i++) {
            Stream stream = next.get();
            if (stream.alarmOn(changeAfter - 1)) {
                continue;
            }
            int delay = cap;
            for (int t = changeAfter; t < changeAfter + cap; t++) {
                if (stream.alarmOn(t)) {
                    delay = t - changeAfter + 1;
                    break;
                }
            }
            censored += delay == cap ? 1 : 0;
            sum += delay;
            sumSq += (double) delay * delay;
            counted++;
        }
        double mean = sum / counted;
        double se = Math.sqrt(Math.max(0, sumSq / counted - mean * mean) / counted);
        return new Summary(counted, mean, se, Double.NaN, Double.NaN, censored);
    }
}
