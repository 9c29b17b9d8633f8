package io.vigil.stats;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.commons.statistics.distribution.NormalDistribution;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Benchmark, not a test (excluded from the default run by its name; tagged {@code benchmark}): detection
 * delay and false alarms per stream-year of Vigil's daily CUSUM against fixed daily rules, on simulated
 * streams with a known change point. Run with
 * {@code ./mvnw -B -o -q test -Dtest=DetectionBenchmark -Dsurefire.failIfNoSpecifiedTests=false}; the
 * table goes to stdout and {@code target/benchmarks/detection.md}.
 *
 * <p>Stream: {@value #N} predictions a day with scores from the reference N(0.35, 0.12²) (smooth, no mass
 * piled at a boundary, so no detector gets a free ride from an emptied bin). From the change day every
 * score moves up by d standard deviations of the daily mean (d x 0.12 / sqrt n). Detectors see the same
 * days:
 * <ul>
 *   <li>Vigil: two-sided CUSUM on the standardised daily mean, k = 0.5 (detection.shift 1.0), h for
 *       ARL0 = 365 days (detection.arl0-days), reset after each alarm;</li>
 *   <li>PSI &gt; 0.2 over the 10 reference deciles (exact), proportions floored at 1e-4;</li>
 *   <li>KS p &lt; 0.05: one-sample KS of the day's scores against the exact reference CDF (the most
 *       favourable case for KS: no reference sampling or sketch error);</li>
 *   <li>the same two rules tuned to one false alarm per stream-year: thresholds at the 1 - 1/365
 *       quantile of their daily statistic under no change (from a separate calibration run).</li>
 * </ul>
 * Delay = days of shifted data until the first alarm (1 = alarm on the change day), averaged over
 * streams that did not alarm in the {@value #PRE} days before the change (the CUSUM keeps its
 * pre-change state), capped at {@value #CAP} days. Theory: Lorden's lower bound ln(ARL0)/KL with
 * KL = d²/2, and Siegmund's zero-start delay of this CUSUM.
 */
@Tag("benchmark")
class DetectionBenchmark {
    static final int N = 200;
    static final int PRE = 60;
    static final int CAP = 365;
    static final int STREAMS = 1000;
    static final int NULL_STREAM_YEARS = 300;
    static final double MU0 = 0.35;
    static final double SIGMA0 = 0.12;
    static final double[] SHIFTS = {0.5, 1.0, 2.0};

    /** Daily statistics of one day's scores. */
    record Day(double z, double psi, double ks) {}

    static final NormalDistribution REFERENCE = NormalDistribution.of(MU0, SIGMA0);
    static final double[] DECILES = new double[9];

    static {
        for (int i = 0; i < 9; i++) {
            DECILES[i] = REFERENCE.inverseCumulativeProbability((i + 1) / 10.0);
        }
    }

    static Day day(SplittableRandom rnd, double delta, double[] buf) {
        double sum = 0;
        for (int i = 0; i < N; i++) {
            buf[i] = MU0 + SIGMA0 * gaussian(rnd) + delta;
            sum += buf[i];
        }
        Arrays.sort(buf);
        double z = (sum / N - MU0) / (SIGMA0 / Math.sqrt(N));
        // PSI over the reference deciles, each with reference share 0.1.
        int[] counts = new int[10];
        int b = 0;
        for (double x : buf) {
            while (b < 9 && x >= DECILES[b]) {
                b++;
            }
            counts[b]++;
        }
        double psi = 0;
        for (int c : counts) {
            double p = Math.max(1e-4, (double) c / N);
            psi += (p - 0.1) * Math.log(p / 0.1);
        }
        double d = 0;
        for (int i = 0; i < N; i++) {
            double f = REFERENCE.cumulativeProbability(buf[i]);
            d = Math.max(d, Math.max((i + 1.0) / N - f, f - (double) i / N));
        }
        return new Day(z, psi, d);
    }

    static double gaussian(SplittableRandom rnd) {
        double u1 = rnd.nextDouble();
        double u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    @Test
    void run() throws IOException {
        long started = System.nanoTime();
        Cusum cusum = Cusum.forShift(1.0, 365, Cusum.Side.TWO_SIDED);
        // KS critical D at p = 0.05 for n = N (Kolmogorov with Stephens' small-sample correction).
        double ksCritical = bisect(d -> ksPValue(d) - 0.05);
        double[] buf = new double[N];

        // Calibration run: thresholds of the fixed rules at one false alarm per 365 days.
        SplittableRandom cal = new SplittableRandom(1);
        int calDays = 365 * 200;
        double[] psis = new double[calDays];
        double[] kss = new double[calDays];
        for (int i = 0; i < calDays; i++) {
            Day d = day(cal, 0, buf);
            psis[i] = d.psi();
            kss[i] = d.ks();
        }
        Arrays.sort(psis);
        Arrays.sort(kss);
        int q = (int) Math.ceil(calDays * (1 - 1.0 / 365)) - 1;
        double psiTuned = psis[q];
        double ksTuned = kss[q];

        // False alarms per stream-year under no change (independent run).
        SplittableRandom nul = new SplittableRandom(2);
        long[] alarms = new long[5];
        for (int s = 0; s < NULL_STREAM_YEARS; s++) {
            Cusum.State st = Cusum.State.INITIAL;
            for (int t = 0; t < 365; t++) {
                Day d = day(nul, 0, buf);
                Cusum.Step step = cusum.update(st, d.z());
                st = step.state();
                boolean[] a = {step.isAlarm(), d.psi() > 0.2, d.ks() > ksCritical, d.psi() > psiTuned, d.ks() > ksTuned
                };
                for (int i = 0; i < 5; i++) {
                    alarms[i] += a[i] ? 1 : 0;
                }
            }
        }

        StringBuilder md = new StringBuilder();
        String[] names = {
            "Vigil CUSUM (k=0.5, ARL0=365 d)",
            "PSI > 0.2 (daily)",
            "KS p < 0.05 (daily)",
            String.format(Locale.ROOT, "PSI > %.4f (tuned)", psiTuned),
            String.format(Locale.ROOT, "KS D > %.4f (tuned, p < %.5f)", ksTuned, ksPValue(ksTuned))
        };
        md.append(String.format(
                Locale.ROOT,
                "Streams: %d predictions/day, scores N(0.35, 0.12^2); change after %d in-control days; "
                        + "%d streams per shift; false alarms from %d stream-years without change; delay cap %d days.%n%n",
                N,
                PRE,
                STREAMS,
                NULL_STREAM_YEARS,
                CAP));
        md.append("| detector | false alarms / stream-year |");
        for (double d : SHIFTS) {
            md.append(String.format(Locale.ROOT, " delay d=%.1f (days; detected) |", d));
        }
        md.append("\n|---|---|---|---|---|\n");
        double[][] delay = new double[5][SHIFTS.length];
        double[][] detected = new double[5][SHIFTS.length];
        for (int si = 0; si < SHIFTS.length; si++) {
            double delta = SHIFTS[si] * SIGMA0 / Math.sqrt(N);
            SplittableRandom rnd = new SplittableRandom(100 + si);
            long[] sum = new long[5];
            long[] eligible = new long[5];
            long[] found = new long[5];
            for (int s = 0; s < STREAMS; s++) {
                Cusum.State st = Cusum.State.INITIAL;
                boolean[] early = new boolean[5];
                int[] first = new int[5];
                Arrays.fill(first, -1);
                for (int t = 0; t < PRE + CAP; t++) {
                    boolean after = t >= PRE;
                    Day d = day(rnd, after ? delta : 0, buf);
                    Cusum.Step step = cusum.update(st, d.z());
                    st = step.state();
                    boolean[] a = {
                        step.isAlarm(), d.psi() > 0.2, d.ks() > ksCritical, d.psi() > psiTuned, d.ks() > ksTuned
                    };
                    boolean pending = false;
                    for (int i = 0; i < 5; i++) {
                        if (!after && a[i]) {
                            early[i] = true;
                        }
                        if (after && first[i] < 0 && a[i]) {
                            first[i] = t - PRE + 1;
                        }
                        pending |= after ? first[i] < 0 && !early[i] : true;
                    }
                    if (!pending) {
                        break;
                    }
                }
                for (int i = 0; i < 5; i++) {
                    if (!early[i]) {
                        eligible[i]++;
                        if (first[i] > 0) {
                            found[i]++;
                            sum[i] += first[i];
                        }
                    }
                }
            }
            for (int i = 0; i < 5; i++) {
                delay[i][si] = found[i] == 0 ? Double.NaN : (double) sum[i] / found[i];
                detected[i][si] = eligible[i] == 0 ? Double.NaN : (double) found[i] / eligible[i];
            }
        }
        for (int i = 0; i < 5; i++) {
            md.append("| ")
                    .append(names[i])
                    .append(" | ")
                    .append(String.format(Locale.ROOT, "%.2f", (double) alarms[i] / NULL_STREAM_YEARS))
                    .append(" |");
            for (int si = 0; si < SHIFTS.length; si++) {
                md.append(
                        Double.isNaN(delay[i][si])
                                ? " never (0%) |"
                                : String.format(Locale.ROOT, " %.1f (%.0f%%) |", delay[i][si], 100 * detected[i][si]));
            }
            md.append('\n');
        }
        md.append("| Theory: Lorden ln(ARL0)/KL, KL = d²/2 | - |");
        for (double d : SHIFTS) {
            md.append(String.format(Locale.ROOT, " %.1f |", Math.log(365) / (d * d / 2)));
        }
        md.append("\n| Theory: Siegmund zero-start delay of Vigil's CUSUM | - |");
        for (double d : SHIFTS) {
            md.append(String.format(Locale.ROOT, " %.1f |", cusum.expectedDelay(d)));
        }
        md.append(String.format(
                Locale.ROOT, "%n%nCUSUM h = %.4f (k = %.2f); Vigil delay / Lorden bound:", cusum.h(), cusum.k()));
        for (int si = 0; si < SHIFTS.length; si++) {
            md.append(String.format(
                    Locale.ROOT,
                    " d=%.1f: %.2f;",
                    SHIFTS[si],
                    delay[0][si] / (Math.log(365) / (SHIFTS[si] * SHIFTS[si] / 2))));
        }
        md.append(String.format(Locale.ROOT, "%nRun time %.1f s.%n", (System.nanoTime() - started) / 1e9));
        Path out = Path.of("target", "benchmarks", "detection.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, md.toString(), StandardCharsets.UTF_8);
        System.out.println(md);
    }

    /** One-sample KS p-value: Q_KS((sqrt n + 0.12 + 0.11/sqrt n) D) (Stephens 1970). */
    static double ksPValue(double d) {
        double lambda = (Math.sqrt(N) + 0.12 + 0.11 / Math.sqrt(N)) * d;
        double sum = 0;
        for (int k = 1; k <= 100; k++) {
            sum += (k % 2 == 1 ? 1 : -1) * Math.exp(-2.0 * k * k * lambda * lambda);
        }
        return Math.max(0, Math.min(1, 2 * sum));
    }

    private static double bisect(java.util.function.DoubleUnaryOperator f) {
        double lo = 1e-6;
        double hi = 1;
        for (int i = 0; i < 100; i++) {
            double mid = (lo + hi) / 2;
            if (f.applyAsDouble(mid) > 0) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return (lo + hi) / 2;
    }
}
