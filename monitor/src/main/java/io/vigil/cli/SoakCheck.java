package io.vigil.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The verdicts of {@code vigil soak}, from what was sent and what Vigil's {@code /metrics} said at the
 * end. Pure, so each verdict can be shown to pass and to fail without a broker.
 *
 * <ul>
 *   <li><b>Accounting</b>, per input stream: accepted = valid records sent + hostile records that must be
 *       accepted, and dead-lettered + dropped = hostile records that must be rejected. Exact: one record
 *       lost or counted twice fails it.</li>
 *   <li><b>Heap</b>: the median heap used after a full GC in the last {@link #HEAP_WINDOW_MINUTES} minutes
 *       is within {@link #HEAP_TOLERANCE} of the median in the first (growth or shrinkage alike).</li>
 *   <li><b>Threads</b>: no deadlock in the final thread dump ({@code -1}: no dump, a failure).</li>
 *   <li><b>Readiness</b>: {@code /health/ready} answered 200 at the end.</li>
 * </ul>
 */
final class SoakCheck {
    static final int HEAP_WINDOW_MINUTES = 10;
    static final double HEAP_TOLERANCE = 0.10;

    /** Records sent on one stream, acknowledged by the broker. */
    record Sent(long valid, long hostileAccepted, long hostileRejected) {}

    /** Vigil's counts of one stream at the end. */
    record Counted(long accepted, long deadLettered, long dropped) {}

    /** One heap sample: minutes since the soak started, heap bytes used after a full GC. */
    record HeapSample(double minute, long bytes) {}

    /** The verdict lines and whether all passed. */
    record Verdict(boolean passed, List<String> lines) {}

    private SoakCheck() {}

    static Verdict check(
            Map<String, Sent> sent,
            Map<String, Counted> counted,
            List<HeapSample> heap,
            double minutes,
            int deadlocks,
            boolean readyAtEnd) {
        List<String> lines = new ArrayList<>();
        boolean passed = true;
        for (Map.Entry<String, Sent> e : new TreeMap<>(sent).entrySet()) {
            Sent s = e.getValue();
            Counted c = counted.getOrDefault(e.getKey(), new Counted(0, 0, 0));
            long expectAccepted = s.valid() + s.hostileAccepted();
            boolean ok = c.accepted() == expectAccepted && c.deadLettered() + c.dropped() == s.hostileRejected();
            passed &= ok;
            lines.add(String.format(
                    "%s accounting %s: sent %,d valid + %,d hostile to accept + %,d hostile to reject; "
                            + "counted %,d accepted, %,d dead-lettered, %,d dropped",
                    ok ? "PASS" : "FAIL",
                    e.getKey(),
                    s.valid(),
                    s.hostileAccepted(),
                    s.hostileRejected(),
                    c.accepted(),
                    c.deadLettered(),
                    c.dropped()));
        }
        long first = median(heap, 0, HEAP_WINDOW_MINUTES);
        long last = median(heap, minutes - HEAP_WINDOW_MINUTES, Double.MAX_VALUE);
        if (first < 0 || last < 0 || minutes < 2 * HEAP_WINDOW_MINUTES) {
            passed = false;
            lines.add(String.format(
                    "FAIL heap: needs samples in the first and last %d minutes of a run of at least "
                            + "%d minutes (%.1f minutes, %d samples)",
                    HEAP_WINDOW_MINUTES, 2 * HEAP_WINDOW_MINUTES, minutes, heap.size()));
        } else {
            double change = (double) last / first - 1;
            boolean ok = Math.abs(change) <= HEAP_TOLERANCE;
            passed &= ok;
            lines.add(String.format(
                    "%s heap after full GC: median %,d MB in the first %d minutes, %,d MB in the last "
                            + "(%+.1f%%, limit ±%.0f%%)",
                    ok ? "PASS" : "FAIL",
                    first >> 20,
                    HEAP_WINDOW_MINUTES,
                    last >> 20,
                    100 * change,
                    100 * HEAP_TOLERANCE));
        }
        passed &= deadlocks == 0;
        lines.add(
                deadlocks < 0
                        ? "FAIL threads: no thread dump (jcmd failed)"
                        : String.format(
                                "%s threads: %d deadlock cycles in the final thread dump",
                                deadlocks == 0 ? "PASS" : "FAIL", deadlocks));
        passed &= readyAtEnd;
        lines.add((readyAtEnd ? "PASS" : "FAIL") + " readiness: /health/ready " + (readyAtEnd ? "200" : "not 200")
                + " at the end");
        return new Verdict(passed, lines);
    }

    /** Median bytes of the samples with from ≤ minute < to; -1 when there are none. */
    static long median(List<HeapSample> heap, double from, double to) {
        long[] in = heap.stream()
                .filter(s -> s.minute() >= from && s.minute() < to)
                .mapToLong(HeapSample::bytes)
                .sorted()
                .toArray();
        if (in.length == 0) {
            return -1;
        }
        return in.length % 2 == 1 ? in[in.length / 2] : (in[in.length / 2 - 1] + in[in.length / 2]) / 2;
    }
}
