package io.vigil.stats;

import java.util.Arrays;

/**
 * A slice's daily standardised series being collected for one CUSUM, with the day of each step; the
 * same object serves the topology and the run-length experiments, so both run the same detector.
 * Non-finite steps (a day without a defined innovation) are skipped. Not thread-safe.
 */
public final class DailyCusumSeries {
    private long[] days = new long[16];
    private double[] x = new double[16];
    private int size;

    /** Adds a step; a NaN value (no innovation that day) is skipped. */
    public void add(long day, double value) {
        if (!Double.isFinite(value)) {
            return;
        }
        if (size == days.length) {
            days = Arrays.copyOf(days, size * 2);
            x = Arrays.copyOf(x, size * 2);
        }
        days[size] = day;
        x[size] = value;
        size++;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public int size() {
        return size;
    }

    /** The day of each step. */
    public long[] days() {
        return Arrays.copyOf(days, size);
    }

    /** Runs the two-sided CUSUM over the steps. */
    public ChangeDetection.Path run(Cusum cusum) {
        return ChangeDetection.cusum(cusum, Arrays.copyOf(x, size));
    }
}
