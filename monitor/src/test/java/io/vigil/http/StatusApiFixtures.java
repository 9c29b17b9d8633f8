package io.vigil.http;

import io.vigil.events.Alert;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.ModelRef;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A constructed fleet like the default scenario's: three sites, six scanners, one model; on day
 * {@link #UPDATE_DAY} scanner S02/S02-CT2 drifts (scores shift, calibration breaks) and, with
 * {@link #firingAlert()}, alerts. Site S02 drifts mildly with it. Values are plausible, not simulated.
 */
final class StatusApiFixtures {
    static final String MODEL = "chest-ct-nodule";
    static final String VERSION = "2.3.0";
    static final String AFFECTED = "S02/S02-CT2";
    static final int UPDATE_DAY = 20;
    static final Instant DAY0 = Instant.parse("2025-03-01T00:00:00Z");
    static final List<String> SCANNERS =
            List.of("S01/S01-CT1", "S01/S01-CT2", "S02/S02-CT1", AFFECTED, "S03/S03-CT1", "S03/S03-CT2");

    private StatusApiFixtures() {}

    /** Every snapshot of the fleet as computed at the end of {@code day} (1-based). */
    static List<MetricSnapshot> fleetOnDay(int day) {
        List<MetricSnapshot> out = new ArrayList<>();
        slice(out, day, "all", "all", 0);
        for (String site : List.of("S01", "S02", "S03")) {
            slice(out, day, "site", site, site.equals("S02") ? 0.25 : 0);
        }
        for (String scanner : SCANNERS) {
            slice(out, day, "scanner", scanner, scanner.equals(AFFECTED) ? 1.0 : 0);
        }
        return out;
    }

    /** The snapshots of one more slice on a day (e.g. one with a hostile id). */
    static List<MetricSnapshot> sliceOnDay(int day, String dim, String value) {
        List<MetricSnapshot> out = new ArrayList<>();
        slice(out, day, dim, value, 0);
        return out;
    }

    /** The fleet on every day from 1 to {@code days}, for the history. */
    static List<List<MetricSnapshot>> timeline(int days) {
        List<List<MetricSnapshot>> out = new ArrayList<>();
        for (int d = 1; d <= days; d++) {
            out.add(fleetOnDay(d));
        }
        return out;
    }

    static Alert firingAlert() {
        return new Alert(
                "a-0001",
                "fp-score-drift-s02-ct2",
                Alert.Status.FIRING,
                Alert.Severity.CRITICAL,
                "score_drift",
                "score_psi",
                new ModelRef(MODEL, VERSION),
                "scanner",
                AFFECTED,
                "7d",
                new Alert.Observed(0.41, null, null, 2100, 1e-12),
                0.1,
                DAY0.plus(Duration.ofDays(UPDATE_DAY + 2)),
                null,
                "Score distribution shifted after the scanner's software update (PSI 0.41, p < 0.0001)");
    }

    /** The open incident the firing alert belongs to, rooted at the affected scanner, with its software change. */
    static io.vigil.events.Incident incident() {
        Alert a = firingAlert();
        java.time.Instant detected = a.startedAt();
        return new io.vigil.events.Incident(
                "inc-00aa11bb22cc33dd44ee",
                io.vigil.events.Incident.Status.FIRING,
                "opened",
                Alert.Severity.CRITICAL,
                new ModelRef(MODEL, VERSION),
                java.util.List.of(new io.vigil.events.Slice("scanner", AFFECTED)),
                detected,
                detected,
                null,
                DAY0.plus(Duration.ofDays(UPDATE_DAY)),
                java.util.List.of(AFFECTED + ": software VA50A -> VA60A on "
                        + DAY0.plus(Duration.ofDays(UPDATE_DAY)).toString().substring(0, 10)),
                java.util.List.of(new io.vigil.events.Incident.Member(
                        a.fingerprint(),
                        a.rule(),
                        a.metric(),
                        a.severity(),
                        a.sliceDimension(),
                        a.sliceValue(),
                        a.window(),
                        a.startedAt(),
                        "root")),
                "scanner=" + AFFECTED + " of " + MODEL + " " + VERSION + ": 1 alert on 1 slice (score_drift)");
    }

    static Alert resolvedAlert() {
        return new Alert(
                "a-0000",
                "fp-old",
                Alert.Status.RESOLVED,
                Alert.Severity.WARNING,
                "label_coverage",
                "label_coverage",
                new ModelRef(MODEL, VERSION),
                "site",
                "S01",
                "30d",
                new Alert.Observed(0.4, 0.35, 0.45, 900, null),
                0.6,
                DAY0,
                DAY0.plus(Duration.ofDays(3)),
                "Label coverage was low");
    }

    /** One slice's snapshots; {@code effect} 0 = steady, 1 = the full post-update shift. */
    private static void slice(List<MetricSnapshot> out, int day, String dim, String value, double effect) {
        double e = day > UPDATE_DAY ? effect * Math.min(1.0, (day - UPDATE_DAY) / 5.0) : 0.0;
        long n7 = dim.equals("all") ? 9000 : dim.equals("site") ? 3200 : 1500;
        double wobble = 0.01 * Math.sin(day * 0.9 + value.hashCode() % 7);
        Instant end = DAY0.plus(Duration.ofDays(day));
        Instant computed = end.plusSeconds(60);
        for (String w : List.of("1d", "7d", "30d")) {
            long n = w.equals("1d") ? n7 / 7 : w.equals("7d") ? n7 : n7 * 4;
            double psi = 0.02 + wobble / 2 + 0.4 * e;
            double psiP = e > 0.3 ? 1e-12 : e > 0.05 ? 2e-4 : 0.4 + wobble;
            double ks = 0.03 + 0.2 * e;
            double crit = 1.36 / Math.sqrt(n) * 1.2;
            double sens = 0.86 - 0.10 * e + wobble;
            double ece = 0.02 + 0.12 * e;
            out.add(snap(dim, value, w, end, computed, "predictions", (double) n, null, null, n, null));
            out.add(snap(
                    dim,
                    value,
                    w,
                    end,
                    computed,
                    "score_mean",
                    0.21 + 0.08 * e + wobble,
                    0.20 + 0.08 * e,
                    0.22 + 0.08 * e + 2 * Math.abs(wobble),
                    n,
                    null));
            out.add(snap(dim, value, w, end, computed, "score_psi", psi, null, null, n, psiP));
            out.add(snap(dim, value, w, end, computed, "score_ks", ks, null, crit, n, e > 0.3 ? 1e-15 : 0.3));
            out.add(snap(
                    dim,
                    value,
                    w,
                    end,
                    computed,
                    "positive_rate",
                    0.14 + 0.06 * e,
                    0.13 + 0.06 * e,
                    0.15 + 0.06 * e,
                    n,
                    e > 0.3 ? 1e-9 : 0.5));
            long labelled = (long) (n * 0.55);
            out.add(snap(dim, value, w, end, computed, "sensitivity", sens, sens - 0.05, sens + 0.04, labelled, null));
            out.add(snap(
                    dim,
                    value,
                    w,
                    end,
                    computed,
                    "specificity",
                    0.90 - 0.12 * e,
                    0.88 - 0.12 * e,
                    0.92 - 0.12 * e,
                    labelled,
                    null));
            out.add(snap(dim, value, w, end, computed, "auc", 0.91 - 0.01 * e, 0.89, 0.93, labelled, null));
            out.add(snap(dim, value, w, end, computed, "ece", ece, ece - 0.01, ece + 0.015, labelled, null));
            out.add(snap(
                    dim,
                    value,
                    w,
                    end,
                    computed,
                    "oe_ratio",
                    1.0 - 0.3 * e,
                    0.93 - 0.3 * e,
                    1.07 - 0.3 * e,
                    labelled,
                    null));
            out.add(snap(dim, value, w, end, computed, "label_coverage", 0.55, 0.53, 0.57, n, null));
            out.add(snap(dim, value, w, end, computed, "label_coverage_predicted_positive", 0.88, 0.85, 0.91, n, null));
            out.add(snap(dim, value, w, end, computed, "label_coverage_predicted_negative", 0.41, 0.39, 0.43, n, null));
            out.add(snap(
                    dim,
                    value,
                    w,
                    end,
                    computed,
                    "flip_rate",
                    0.04 + 0.03 * e,
                    0.03 + 0.03 * e,
                    0.05 + 0.03 * e,
                    120,
                    null));
            for (int bin = 0; bin < 10; bin++) {
                double mean = (bin + 0.5) / 10;
                double observed = Math.max(0, Math.min(1, mean - 0.25 * e * mean + 0.01 * Math.sin(bin + day)));
                out.add(snap(
                        dim, value, w, end, computed, "reliability_mean_score:" + bin, mean, null, null, n / 10, null));
                out.add(snap(
                        dim,
                        value,
                        w,
                        end,
                        computed,
                        "reliability_observed:" + bin,
                        observed,
                        Math.max(0, observed - 0.06),
                        Math.min(1, observed + 0.06),
                        n / 10,
                        null));
            }
        }
    }

    static MetricSnapshot snap(
            String dim,
            String value,
            String window,
            Instant end,
            Instant computed,
            String metric,
            Double estimate,
            Double lower,
            Double upper,
            long n,
            Double p) {
        boolean labelled = !List.of("predictions", "score_mean", "score_psi", "score_ks", "positive_rate")
                .contains(metric);
        MetricSnapshot.Status status =
                labelled && !window.equals("30d") ? MetricSnapshot.Status.PROVISIONAL : MetricSnapshot.Status.FINAL;
        return new MetricSnapshot(
                MODEL, VERSION, dim, value, window, end, metric, estimate, lower, upper, n, p, status, computed);
    }
}
