package io.vigil.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.alerts.AlertRule.Verdict;
import java.util.List;
import org.junit.jupiter.api.Test;

class AlertRuleTest {
    private static AlertRule below(double target, double margin, long minN) {
        return new AlertRule(
                "SensLow",
                "sensitivity",
                List.of(),
                List.of(),
                AlertRule.Condition.BELOW,
                target,
                null,
                null,
                null,
                margin,
                null,
                null,
                minN,
                null,
                null,
                null);
    }

    @Test
    void shouldHoldOnlyWhenUpperBoundIsBelowTargetWhenConditionIsBelow() {
        AlertRule rule = below(0.85, 0.02, 50);
        // Point estimate below target but the interval still includes it: no evidence.
        assertThat(rule.verdict(Snapshots.interval("sensitivity", 0.80, 0.70, 0.86, 200), 0.85))
                .isEqualTo(Verdict.UNDECIDED);
        assertThat(rule.verdict(Snapshots.interval("sensitivity", 0.80, 0.70, 0.88, 200), 0.85))
                .isNotEqualTo(Verdict.HOLDS);
        assertThat(rule.verdict(Snapshots.interval("sensitivity", 0.75, 0.70, 0.84, 200), 0.85))
                .isEqualTo(Verdict.HOLDS);
    }

    @Test
    void shouldClearOnlyWhenNonInferiorityIsShownWhenConditionIsBelow() {
        AlertRule rule = below(0.85, 0.05, 50);
        // 39 of 50 against 0.85: Wilson 0.78 [0.648, 0.872]. Not significantly below target, but not shown
        // to be within the margin either: a firing alert keeps firing (issue 18, Must 8).
        var few = io.vigil.stats.Wilson.interval(39, 50);
        assertThat(few.upper()).isGreaterThan(0.85);
        assertThat(rule.verdict(Snapshots.interval("sensitivity", few.value(), few.lower(), few.upper(), 50), 0.85))
                .isEqualTo(Verdict.UNDECIDED);
        // 430 of 500: Wilson 0.86 [0.827, 0.888]; the lower bound is within 0.05 of the target: non-inferior.
        var many = io.vigil.stats.Wilson.interval(430, 500);
        assertThat(many.lower()).isBetween(0.80, 0.85);
        assertThat(rule.verdict(Snapshots.interval("sensitivity", many.value(), many.lower(), many.upper(), 500), 0.85))
                .isEqualTo(Verdict.CLEAR);
        // With no margin the same evidence does not clear: the lower bound must reach the target itself.
        assertThat(below(0.85, 0.0, 50)
                        .verdict(
                                Snapshots.interval("sensitivity", many.value(), many.lower(), many.upper(), 500), 0.85))
                .isEqualTo(Verdict.UNDECIDED);
    }

    @Test
    void shouldBeUndecidedWhenNIsBelowMinimum() {
        AlertRule rule = below(0.85, 0.02, 50);
        assertThat(rule.verdict(Snapshots.interval("sensitivity", 0.2, 0.1, 0.3, 49), 0.85))
                .isEqualTo(Verdict.UNDECIDED);
        assertThat(rule.verdict(Snapshots.interval("sensitivity", 0.2, 0.1, 0.3, 50), 0.85))
                .isEqualTo(Verdict.HOLDS);
    }

    @Test
    void shouldHoldOnlyWhenLowerBoundIsAboveTargetWhenConditionIsAbove() {
        AlertRule rule = new AlertRule(
                "EceHigh",
                "ece",
                null,
                null,
                AlertRule.Condition.ABOVE,
                0.1,
                null,
                null,
                null,
                0.02,
                null,
                null,
                100L,
                null,
                null,
                null);
        assertThat(rule.verdict(Snapshots.interval("ece", 0.15, 0.09, 0.2, 500), 0.1))
                .isEqualTo(Verdict.UNDECIDED);
        assertThat(rule.verdict(Snapshots.interval("ece", 0.15, 0.11, 0.2, 500), 0.1))
                .isEqualTo(Verdict.HOLDS);
        // Clears only when the upper bound is within the margin: 0.12 is, 0.13 is not.
        assertThat(rule.verdict(Snapshots.interval("ece", 0.09, 0.07, 0.12, 500), 0.1))
                .isEqualTo(Verdict.CLEAR);
        assertThat(rule.verdict(Snapshots.interval("ece", 0.09, 0.05, 0.13, 500), 0.1))
                .isEqualTo(Verdict.UNDECIDED);
    }

    @Test
    void shouldRequireTheIntervalToExcludeTheBandWhenConditionIsOutside() {
        AlertRule rule = new AlertRule(
                "OE",
                "oe_ratio",
                null,
                null,
                AlertRule.Condition.OUTSIDE,
                null,
                null,
                0.8,
                1.25,
                0.05,
                null,
                null,
                100L,
                null,
                null,
                null);
        assertThat(rule.verdict(Snapshots.interval("oe_ratio", 1.4, 1.2, 1.6, 500), null))
                .isEqualTo(Verdict.UNDECIDED);
        assertThat(rule.verdict(Snapshots.interval("oe_ratio", 1.5, 1.3, 1.7, 500), null))
                .isEqualTo(Verdict.HOLDS);
        assertThat(rule.verdict(Snapshots.interval("oe_ratio", 0.6, 0.5, 0.75, 500), null))
                .isEqualTo(Verdict.HOLDS);
        assertThat(rule.verdict(Snapshots.interval("oe_ratio", 1.0, 0.9, 1.1, 500), null))
                .isEqualTo(Verdict.CLEAR);
    }

    @Test
    void shouldCompareWithTheSnapshotsOwnThresholdWhenConditionIsAboveThreshold() {
        AlertRule rule = new AlertRule(
                "Ks",
                "score_ks",
                null,
                null,
                AlertRule.Condition.ABOVE_THRESHOLD,
                null,
                null,
                null,
                null,
                0.01,
                null,
                null,
                100L,
                null,
                null,
                null);
        assertThat(rule.verdict(Snapshots.of("all", "all", "score_ks", 0.2, null, 0.15, 500, null), null))
                .isEqualTo(Verdict.HOLDS);
        assertThat(rule.verdict(Snapshots.of("all", "all", "score_ks", 0.145, null, 0.15, 500, null), null))
                .isEqualTo(Verdict.UNDECIDED);
        assertThat(rule.verdict(Snapshots.of("all", "all", "score_ks", 0.1, null, 0.15, 500, null), null))
                .isEqualTo(Verdict.CLEAR);
    }

    @Test
    void shouldRequireTheEstimateAboveItsOwnUpperWhenAPValueRuleAsksForIt() {
        AlertRule rule = new AlertRule(
                "KsP",
                "score_ks",
                null,
                List.of("7d"),
                AlertRule.Condition.P_BELOW,
                null,
                null,
                null,
                null,
                0.01,
                null,
                null,
                200L,
                null,
                null,
                null,
                true);
        assertThat(rule.usesPValue()).isTrue();
        // Significant and above the sketch-aware critical value: holds (BH still decides in the round).
        assertThat(rule.verdict(Snapshots.of("all", "all", "score_ks", 0.2, null, 0.15, 500, 1e-6), null))
                .isEqualTo(Verdict.HOLDS);
        // Significant by the asymptotic p-value, but within the sketches' rank error: not drift.
        assertThat(rule.verdict(Snapshots.of("all", "all", "score_ks", 0.145, null, 0.15, 500, 1e-3), null))
                .isEqualTo(Verdict.UNDECIDED);
        assertThat(rule.verdict(Snapshots.of("all", "all", "score_ks", 0.1, null, 0.15, 500, 1e-3), null))
                .isEqualTo(Verdict.CLEAR);
        assertThat(rule.verdict(Snapshots.of("all", "all", "score_ks", 0.2, null, 0.15, 500, 0.5), null))
                .isEqualTo(Verdict.CLEAR);
        assertThat(rule.verdict(Snapshots.of("all", "all", "score_ks", 0.2, null, 0.15, 100, 1e-6), null))
                .isEqualTo(Verdict.UNDECIDED);
        AlertRule capped = new AlertRule(
                "KsCap",
                "score_ks",
                null,
                null,
                AlertRule.Condition.P_BELOW,
                null,
                null,
                null,
                null,
                0.01,
                null,
                null,
                200L,
                null,
                null,
                null,
                true,
                null,
                0.001);
        assertThat(capped.verdict(Snapshots.of("all", "all", "score_ks", 0.2, null, 0.15, 500, 0.005), null))
                .isEqualTo(Verdict.UNDECIDED);
        assertThat(capped.verdict(Snapshots.of("all", "all", "score_ks", 0.2, null, 0.15, 500, 1e-4), null))
                .isEqualTo(Verdict.HOLDS);
        assertThatThrownBy(() -> new AlertRule(
                        "X",
                        "score_ks",
                        null,
                        null,
                        AlertRule.Condition.ABOVE_THRESHOLD,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        true))
                .hasMessageContaining("require_above_upper");
    }

    @Test
    void shouldKeepTheShippedDriftRulesOffTheOneDayWindowAndInsideTheFalseAlarmBudget() {
        List<AlertRule> drift = AlertRules.defaults().stream()
                .filter(r -> List.of("score_psi", "score_ks", "positive_rate", "feature_psi:*")
                        .contains(r.metric()))
                .toList();
        assertThat(drift).hasSize(4).allSatisfy(r -> {
            assertThat(r.windows()).containsExactlyInAnyOrder("7d", "30d");
            assertThat(r.usesPValue()).isTrue();
            assertThat(r.requireAllWindows()).isTrue();
            assertThat(r.maxP()).isEqualTo(0.001);
        });
        assertThat(drift)
                .filteredOn(r -> r.metric().equals("score_ks"))
                .singleElement()
                .satisfies(r -> assertThat(r.requireAboveUpper()).isTrue());
    }

    @Test
    void shouldMatchAFamilyPrefixAndRestrictDimensionsAndWindows() {
        AlertRule rule = new AlertRule(
                "Cusum",
                "cusum_alarm:*",
                List.of("site"),
                List.of("7d"),
                AlertRule.Condition.FLAG,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null);
        assertThat(rule.matches(Snapshots.of("site", "S1", "cusum_alarm:oe", 1.0, null, null, 1, null)))
                .isTrue();
        assertThat(rule.matches(Snapshots.of("site", "S1", "cusum:oe", 1.0, null, null, 1, null)))
                .isFalse();
        assertThat(rule.matches(Snapshots.of("scanner", "S1/CT", "cusum_alarm:oe", 1.0, null, null, 1, null)))
                .isFalse();
    }

    @Test
    void shouldRejectARuleWithoutTargetWhenConditionNeedsOne() {
        assertThatThrownBy(() -> new AlertRule(
                        "X",
                        "sensitivity",
                        null,
                        null,
                        AlertRule.Condition.BELOW,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null))
                .hasMessageContaining("needs a target");
    }

    @Test
    void shouldLoadEveryShippedDefaultRule() {
        List<AlertRule> rules = AlertRules.defaults();
        assertThat(rules)
                .extracting(AlertRule::name)
                .contains(
                        "VigilScoreDistributionShift",
                        "VigilScoreKsAboveCritical",
                        "VigilCalibrationErrorHigh",
                        "VigilCalibrationInTheLargeOff",
                        "VigilCalibrationSlopeOff",
                        "VigilPrevalenceShift",
                        "VigilSensitivityBelowTarget",
                        "VigilSpecificityBelowTarget",
                        "VigilEstimatedSensitivityDrop",
                        "VigilEstimatorBacktestError",
                        "VigilFlipRateHigh",
                        "VigilCusumAlarm",
                        "VigilVerificationBias",
                        "VigilLabelCoverageLow",
                        "VigilAcquisitionChange",
                        "VigilDeadLetterShareHigh",
                        "VigilStreamNotRunning",
                        "VigilConsumerLagHigh");
        assertThat(rules).filteredOn(r -> r.metric().startsWith("cusum")).allMatch(r -> !r.usesPValue());
    }
}
