package io.vigil.stages;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.aggregates.OutcomeAggregate;
import io.vigil.aggregates.OutcomeChange;
import io.vigil.alerts.AlertRule;
import io.vigil.alerts.AlertRule.Verdict;
import io.vigil.alerts.AlertRules;
import io.vigil.events.MetricSnapshot;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Issue 18, Must 3: the shipped ECE rule could never fire (ECE had no interval). Now, on the snapshot the
 * performance stage publishes, it fires for a model with true ECE about 0.15 at n = 5,000 and resolves for
 * a calibrated one.
 */
class CalibrationAlertTest {
    private static final String GROUP = "model|v1|all|all";
    private final AlertRule rule = AlertRules.defaults().stream()
            .filter(r -> r.name().equals("VigilCalibrationErrorHigh"))
            .findFirst()
            .orElseThrow();

    @Test
    void shouldFireForAModelMiscalibratedByFifteenPointsAtFiveThousandCases() {
        MetricSnapshot ece = eceSnapshot(5_000, 0.75, 1);

        assertThat(ece.lower()).as("lower bound %s", ece).isGreaterThan(0.1);
        assertThat(rule.verdict(ece, rule.target())).isEqualTo(Verdict.HOLDS);
    }

    @Test
    void shouldResolveForACalibratedModel() {
        MetricSnapshot ece = eceSnapshot(5_000, 0.0, 2);

        assertThat(ece.lower()).as("lower bound %s", ece).isZero();
        assertThat(ece.upper()).isLessThan(0.1);
        assertThat(rule.verdict(ece, rule.target())).isEqualTo(Verdict.CLEAR);
    }

    @Test
    void shouldStayUndecidedBelowTheRulesMinimumN() {
        MetricSnapshot ece = eceSnapshot(90, 0.75, 3);

        assertThat(ece.n()).isEqualTo(90);
        assertThat(rule.verdict(ece, rule.target())).isEqualTo(Verdict.UNDECIDED);
    }

    /** n labelled outcomes with p ~ Beta(2, 5), y ~ Bernoulli(expit(shift + logit p)), through the stage. */
    private static MetricSnapshot eceSnapshot(int n, double shift, long seed) {
        Performance stage = new Performance(PerformanceTestSettings.withWindows(30));
        OutcomeAggregate day = new OutcomeAggregate();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            double x = gamma(random, 2);
            double p = x / (x + gamma(random, 5));
            double q = 1 / (1 + Math.exp(-(shift + Math.log(p / (1 - p)))));
            int y = random.nextDouble() < q ? 1 : 0;
            day.apply(new OutcomeChange(List.of(GROUP), p, 0.5, 100, -1, 0, -1));
            day.apply(new OutcomeChange(List.of(GROUP), p, 0.5, 100, y, +1, 86_400));
        }
        return stage.snapshots(GROUP, new TreeMap<>(Map.of(100L, day)), 101, 0).stream()
                .filter(s -> s.metric().equals("ece"))
                .findFirst()
                .orElseThrow();
    }

    private static double gamma(SplittableRandom random, int shape) {
        double sum = 0;
        for (int i = 0; i < shape; i++) {
            sum -= Math.log(1 - random.nextDouble());
        }
        return sum;
    }
}
