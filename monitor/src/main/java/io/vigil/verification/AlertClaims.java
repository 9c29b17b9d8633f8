package io.vigil.verification;

import io.vigil.alerts.AlertRule;
import io.vigil.alerts.AlertRule.Verdict;
import io.vigil.alerts.AlertRules;
import io.vigil.events.MetricSnapshot;
import io.vigil.stats.Estimate;
import io.vigil.verification.Claim.Status;
import java.time.Instant;
import java.util.List;

/**
 * Whether the shipped alert rules ({@code alert-rules.json}) decide as documented on data with a known
 * truth: each trial computes the metric through the production aggregate, wraps it in the snapshot the
 * topology would publish and asks the shipped rule for its verdict.
 */
public final class AlertClaims {
    private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");

    private AlertClaims() {}

    /** Every alert claim, in table order. */
    public static List<Claim> all() {
        return List.of(
                eceFires(1_000, 0.75, Status.KNOWN_SHORTFALL),
                eceFires(2_000, 0.75, Status.KNOWN_SHORTFALL),
                eceFires(5_000, 0.75, Status.CLAIMED),
                eceStaysQuiet(5_000),
                eceStaysQuiet(1_000),
                slopeStaysQuiet(200, 1, 19),
                slopeStaysQuiet(200, 2, 5),
                slopeFires(200, 0.4, Status.KNOWN_SHORTFALL),
                slopeFires(1_000, 0.4, Status.CLAIMED));
    }

    /**
     * VigilCalibrationSlopeOff does not hold for a calibrated model at the rule's minimum n: the false-alarm
     * rate of one evaluation of one slice and window (the rule's for-duration and the slices' number aside).
     */
    static Claim slopeStaysQuiet(int n, int alpha, int beta) {
        AlertRule rule = shipped("VigilCalibrationSlopeOff");
        return new Claim(
                "VigilCalibrationSlopeOff quiet (calibrated model)",
                String.format(
                        "n = %,d, p ~ Beta(%d, %d), true slope 1, fires outside %.1f..%.1f",
                        n, alpha, beta, rule.low(), rule.high()),
                0.975,
                Status.CLAIMED,
                random -> verdict(
                                rule,
                                IntervalClaims.recalibrated(random, n, alpha, beta, 1.0)
                                        .recalibrationFit()
                                        .slope())
                        != Verdict.HOLDS);
    }

    /** VigilCalibrationSlopeOff holds for an over-confident model (true slope well below 0.7). */
    static Claim slopeFires(int n, double slope, Status status) {
        AlertRule rule = shipped("VigilCalibrationSlopeOff");
        return new Claim(
                "VigilCalibrationSlopeOff fires (power)",
                String.format("n = %,d, p ~ Beta(2, 5), true slope %.1f", n, slope),
                0.95,
                status,
                random -> verdict(
                                rule,
                                IntervalClaims.recalibrated(random, n, 2, 5, slope)
                                        .recalibrationFit()
                                        .slope())
                        == Verdict.HOLDS);
    }

    /**
     * VigilCalibrationErrorHigh holds (fires after its for-duration) for a model miscalibrated well above 0.1;
     * a known shortfall where n is too small for the conservative interval to exclude 0.1.
     */
    static Claim eceFires(int n, double shift, Status status) {
        AlertRule rule = shipped("VigilCalibrationErrorHigh");
        return new Claim(
                "VigilCalibrationErrorHigh fires (power)",
                String.format("n = %,d, true ECE %.3f, target %.2f", n, IntervalClaims.trueEce(shift), rule.target()),
                0.95,
                status,
                random -> verdict(
                                rule,
                                IntervalClaims.miscalibrated(random, n, shift)
                                        .calibration()
                                        .ece())
                        == Verdict.HOLDS);
    }

    /** VigilCalibrationErrorHigh never holds, and clears, for a calibrated model: one-sided 97.5%. */
    static Claim eceStaysQuiet(int n) {
        AlertRule rule = shipped("VigilCalibrationErrorHigh");
        return new Claim(
                "VigilCalibrationErrorHigh quiet and resolved (calibrated model)",
                String.format("n = %,d, true ECE 0, target %.2f", n, rule.target()),
                0.975,
                Status.CLAIMED,
                random -> verdict(
                                rule,
                                IntervalClaims.miscalibrated(random, n, 0.0)
                                        .calibration()
                                        .ece())
                        == Verdict.CLEAR);
    }

    private static Verdict verdict(AlertRule rule, Estimate e) {
        MetricSnapshot s = new MetricSnapshot(
                "m",
                "1",
                "all",
                "all",
                "30d",
                AT,
                rule.metric(),
                e.value(),
                e.lower(),
                e.upper(),
                e.n(),
                null,
                MetricSnapshot.Status.FINAL,
                AT);
        return rule.verdict(s, rule.target());
    }

    private static AlertRule shipped(String name) {
        return AlertRules.defaults().stream()
                .filter(r -> r.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no shipped rule " + name));
    }
}
