package io.vigil.alerts;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.events.Alert;
import io.vigil.events.MetricSnapshot;
import java.util.List;
import java.util.Objects;

/**
 * One alert rule over metric snapshots, gated on evidence.
 *
 * <p>Matching: {@code metric} is a snapshot metric name ({@code sensitivity}) or a family followed by
 * {@code :*} ({@code cusum_alarm:*} matches every series); {@code dimensions} and {@code windows}
 * restrict the slice dimensions and windows (empty = all). A snapshot with {@code n < minN} is no
 * evidence either way.
 *
 * <p>Conditions, each reading the bound that must be past the limit, never the point estimate:
 * <ul>
 *   <li>{@code below}: holds when the interval's upper bound is below the target; clears only when
 *       non-inferiority is shown: the lower bound is at least target - margin. "Not significantly below
 *       target" is not enough (39 of 50, 0.78 [0.65, 0.87] against 0.85, stays firing), so {@code margin}
 *       is the non-inferiority margin: the shortfall the rule's owner accepts as equivalent.</li>
 *   <li>{@code above}: holds when the lower bound is above the target; clears only when the upper bound
 *       is at most target + margin (the mirror image).</li>
 *   <li>{@code outside}: holds when the interval lies wholly outside [{@code low}, {@code high}]; clears
 *       when it reaches back inside by margin on both sides.</li>
 *   <li>{@code above_threshold}: holds when the estimate exceeds the snapshot's own {@code upper}
 *       (a critical value or alarm threshold published with the statistic: {@code score_ks},
 *       {@code cusum:*}); clears when it is back below upper - margin.</li>
 *   <li>{@code p_below}: a test against the reference. It holds only when Benjamini-Hochberg, applied to
 *       every p-value candidate of the round, rejects it, and the estimate is at least
 *       {@code minEstimate} (effect size, when set); it clears when the p-value is back above
 *       {@code resolveP} or the estimate below minEstimate - margin. With {@code requireAboveUpper}
 *       it also needs the estimate above the snapshot's own {@code upper} (e.g. {@code score_ks}: the
 *       asymptotic p-value enters the BH budget, and the KS distance must also exceed its sketch-aware
 *       critical value, so a sketch's rank error alone never counts as drift); it then also clears
 *       when the estimate is back below upper - margin. With {@code maxP} the p-value must also be at
 *       most maxP: Benjamini-Hochberg lets its threshold rise with the number of discoveries (i q / m),
 *       so in a round where one real change is seen in many slices, a steady slice's p of 0.01 can pass;
 *       a ceiling caps each test's own error in such rounds.</li>
 *   <li>{@code flag}: 0/1 metrics; holds at 1, clears at 0. Sequential detectors' alarms
 *       ({@code cusum_alarm:*}) are flags: their false-alarm rate is set by their average run length, so
 *       they bypass Benjamini-Hochberg.</li>
 * </ul>
 *
 * <p>Persistence by evidence: with {@code requireAllWindows} the condition holds for a slice only
 * when it holds in every window of the rule that has a snapshot in the round (e.g. a drift seen over
 * the last 7 days and also over the last 30), so one odd week of a steady slice, which a round's
 * many true discoveries can carry through Benjamini-Hochberg, does not page; a lasting change soon
 * fills the longer window too. It is the evidence form of a for-duration, which in wall-clock time
 * would mean nothing for a replay or a compressed demo.
 *
 * <p>Targets: {@code target} is the default in the metric's unit; with {@code targetFrom = claimed} the
 * config value {@code alerts.targets.<model>.<metric>} (the vendor's claimed performance) replaces it
 * when set. {@code forMs} is how long (milliseconds of evaluation wall clock) a condition must keep
 * holding before the alert fires; until then it is pending. {@code summary} is a template over
 * {@code {model} {version} {slice} {slice_value} {metric} {window} {estimate} {lower} {upper} {n}
 * {p_value} {target}}: model, slice and metric values only, never patient data.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AlertRule(
        String name,
        String metric,
        List<String> dimensions,
        List<String> windows,
        Condition condition,
        Double target,
        @JsonProperty("target_from") TargetFrom targetFrom,
        Double low,
        Double high,
        Double margin,
        @JsonProperty("min_estimate") Double minEstimate,
        @JsonProperty("resolve_p") Double resolveP,
        @JsonProperty("min_n") Long minN,
        @JsonProperty("for_ms") Long forMs,
        Alert.Severity severity,
        String summary,
        @JsonProperty("require_above_upper") Boolean requireAboveUpper,
        @JsonProperty("require_all_windows") Boolean requireAllWindows,
        @JsonProperty("max_p") Double maxP) {

    /** A rule without the {@code require_above_upper} and {@code require_all_windows} gates. */
    public AlertRule(
            String name,
            String metric,
            List<String> dimensions,
            List<String> windows,
            Condition condition,
            Double target,
            TargetFrom targetFrom,
            Double low,
            Double high,
            Double margin,
            Double minEstimate,
            Double resolveP,
            Long minN,
            Long forMs,
            Alert.Severity severity,
            String summary) {
        this(
                name,
                metric,
                dimensions,
                windows,
                condition,
                target,
                targetFrom,
                low,
                high,
                margin,
                minEstimate,
                resolveP,
                minN,
                forMs,
                severity,
                summary,
                null,
                null,
                null);
    }

    /** A rule without the {@code require_all_windows} gate. */
    public AlertRule(
            String name,
            String metric,
            List<String> dimensions,
            List<String> windows,
            Condition condition,
            Double target,
            TargetFrom targetFrom,
            Double low,
            Double high,
            Double margin,
            Double minEstimate,
            Double resolveP,
            Long minN,
            Long forMs,
            Alert.Severity severity,
            String summary,
            Boolean requireAboveUpper) {
        this(
                name,
                metric,
                dimensions,
                windows,
                condition,
                target,
                targetFrom,
                low,
                high,
                margin,
                minEstimate,
                resolveP,
                minN,
                forMs,
                severity,
                summary,
                requireAboveUpper,
                null,
                null);
    }

    /** How a snapshot is compared with the rule's limit. */
    public enum Condition {
        @JsonProperty("below")
        BELOW,
        @JsonProperty("above")
        ABOVE,
        @JsonProperty("outside")
        OUTSIDE,
        @JsonProperty("above_threshold")
        ABOVE_THRESHOLD,
        @JsonProperty("p_below")
        P_BELOW,
        @JsonProperty("flag")
        FLAG
    }

    /** Where the target comes from. */
    public enum TargetFrom {
        /** The rule's {@code target}. */
        @JsonProperty("fixed")
        FIXED,
        /** {@code alerts.targets.<model>.<metric>} when configured, else the rule's {@code target}. */
        @JsonProperty("claimed")
        CLAIMED
    }

    /** What one snapshot says about the rule's condition in one round. */
    public enum Verdict {
        /** The evidence shows the condition. */
        HOLDS,
        /** The evidence is back past the limit: non-inferiority shown ({@code below}, {@code above}), or by the hysteresis margin. */
        CLEAR,
        /** Neither: too little data, or inside the hysteresis band. */
        UNDECIDED
    }

    public AlertRule {
        Objects.requireNonNull(name, "rule name");
        if (!name.matches("[A-Za-z0-9_.-]{1,100}")) {
            throw new IllegalArgumentException("rule name must match [A-Za-z0-9_.-]{1,100}, got '" + name + "'");
        }
        Objects.requireNonNull(metric, "metric of rule " + name);
        Objects.requireNonNull(condition, "condition of rule " + name);
        dimensions = dimensions == null ? List.of() : List.copyOf(dimensions);
        windows = windows == null ? List.of() : List.copyOf(windows);
        targetFrom = targetFrom == null ? TargetFrom.FIXED : targetFrom;
        margin = margin == null ? 0.0 : margin;
        resolveP = resolveP == null ? 0.2 : resolveP;
        minN = minN == null ? 0L : minN;
        forMs = forMs == null ? 0L : forMs;
        severity = severity == null ? Alert.Severity.WARNING : severity;
        requireAboveUpper = requireAboveUpper == null ? Boolean.FALSE : requireAboveUpper;
        requireAllWindows = requireAllWindows == null ? Boolean.FALSE : requireAllWindows;
        if (maxP != null && !(maxP > 0 && maxP <= 1)) {
            throw new IllegalArgumentException("max_p of rule " + name + " must be in (0, 1], got " + maxP);
        }
        if (requireAboveUpper && condition != Condition.P_BELOW) {
            throw new IllegalArgumentException("rule " + name + ": require_above_upper applies to p_below only");
        }
        if (margin < 0) {
            throw new IllegalArgumentException("margin of rule " + name + " must be >= 0, got " + margin);
        }
        if (!(resolveP > 0 && resolveP <= 1)) {
            throw new IllegalArgumentException("resolve_p of rule " + name + " must be in (0, 1], got " + resolveP);
        }
        if (minN < 0 || forMs < 0) {
            throw new IllegalArgumentException("min_n and for_ms of rule " + name + " must be >= 0");
        }
        if ((condition == Condition.BELOW || condition == Condition.ABOVE) && target == null) {
            throw new IllegalArgumentException("rule " + name + ": condition " + condition + " needs a target");
        }
        if (condition == Condition.OUTSIDE && (low == null || high == null || !(low < high))) {
            throw new IllegalArgumentException("rule " + name + ": condition outside needs low < high");
        }
        if (summary == null || summary.isBlank()) {
            summary = "{metric} {window} for {model} {version} ({slice}={slice_value}): {estimate} "
                    + "[{lower}, {upper}], n={n}";
        }
    }

    /** Whether this rule watches the snapshot's metric, slice dimension and window. */
    public boolean matches(MetricSnapshot s) {
        boolean metricMatches = metric.endsWith(":*")
                ? s.metric().startsWith(metric.substring(0, metric.length() - 1))
                : s.metric().equals(metric);
        return metricMatches
                && (dimensions.isEmpty() || dimensions.contains(s.sliceDimension()))
                && (windows.isEmpty() || windows.contains(s.window()));
    }

    /** Whether candidates of this rule enter the Benjamini-Hochberg family of the round. */
    public boolean usesPValue() {
        return condition == Condition.P_BELOW;
    }

    /**
     * The verdict of one snapshot, for every condition but {@code p_below}'s BH step: for
     * {@code p_below}, {@code HOLDS} here means "p-value and effect size present and the effect large
     * enough"; the caller then requires BH rejection.
     *
     * @param target the resolved target (see {@link #targetFrom()}); unused by flag, above_threshold, p_below
     */
    public Verdict verdict(MetricSnapshot s, Double target) {
        if (s.n() < minN || s.insufficientN()) {
            return Verdict.UNDECIDED;
        }
        Double est = s.estimate();
        Double lo = s.lower();
        Double hi = s.upper();
        return switch (condition) {
            case BELOW ->
                hi == null || lo == null
                        ? Verdict.UNDECIDED
                        : hi < target ? Verdict.HOLDS : lo >= target - margin ? Verdict.CLEAR : Verdict.UNDECIDED;
            case ABOVE ->
                lo == null || hi == null
                        ? Verdict.UNDECIDED
                        : lo > target ? Verdict.HOLDS : hi <= target + margin ? Verdict.CLEAR : Verdict.UNDECIDED;
            case OUTSIDE -> {
                if (lo == null || hi == null) {
                    yield Verdict.UNDECIDED;
                }
                if (lo > high || hi < low) {
                    yield Verdict.HOLDS;
                }
                yield lo < high - margin && hi > low + margin ? Verdict.CLEAR : Verdict.UNDECIDED;
            }
            case ABOVE_THRESHOLD ->
                est == null || hi == null
                        ? Verdict.UNDECIDED
                        : est > hi ? Verdict.HOLDS : est < hi - margin ? Verdict.CLEAR : Verdict.UNDECIDED;
            case FLAG -> est == null ? Verdict.UNDECIDED : est >= 0.5 ? Verdict.HOLDS : Verdict.CLEAR;
            case P_BELOW -> {
                Double p = s.pValue();
                if (p == null) {
                    yield Verdict.UNDECIDED;
                }
                boolean bigEnough = minEstimate == null || (est != null && est >= minEstimate);
                boolean clearlySmall = minEstimate != null && est != null && est < minEstimate - margin;
                if (requireAboveUpper) {
                    if (est == null || hi == null) {
                        yield Verdict.UNDECIDED;
                    }
                    bigEnough = bigEnough && est > hi;
                    clearlySmall = clearlySmall || est < hi - margin;
                }
                if (p > resolveP || clearlySmall) {
                    yield Verdict.CLEAR;
                }
                if (maxP != null && p > maxP) {
                    yield Verdict.UNDECIDED;
                }
                yield bigEnough ? Verdict.HOLDS : Verdict.UNDECIDED;
            }
        };
    }
}
