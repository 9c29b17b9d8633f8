package io.vigil.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.events.Alert;
import io.vigil.events.EventValidator;
import io.vigil.events.MetricSnapshot;
import io.vigil.serde.JsonSerde;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AlertEvaluationTest {
    private static final AlertRule PSI = new AlertRule(
            "Psi",
            "score_psi",
            null,
            null,
            AlertRule.Condition.P_BELOW,
            null,
            null,
            null,
            null,
            null,
            null,
            0.2,
            100L,
            null,
            Alert.Severity.WARNING,
            null);
    private static final AlertRule SENS = new AlertRule(
            "SensLow",
            "sensitivity",
            null,
            null,
            AlertRule.Condition.BELOW,
            0.85,
            AlertRule.TargetFrom.CLAIMED,
            null,
            null,
            0.02,
            null,
            null,
            50L,
            Duration.ofHours(1).toMillis(),
            Alert.Severity.CRITICAL,
            null);

    /** Runs rounds, keeping states like the store does. */
    private static final class Rounds {
        final AlertEvaluation evaluation;
        final Map<String, AlertState> states = new HashMap<>();
        final List<Alert> alerts = new ArrayList<>();

        Rounds(AlertEvaluation evaluation) {
            this.evaluation = evaluation;
        }

        AlertEvaluation.Result run(List<MetricSnapshot> snapshots, Instant now) {
            AlertEvaluation.Result r = evaluation.evaluate(snapshots, states, now);
            states.putAll(r.upserts());
            r.removals().forEach(states::remove);
            alerts.addAll(r.alerts());
            return r;
        }
    }

    private static List<MetricSnapshot> psiRound(double first, int others, double otherP) {
        List<MetricSnapshot> out = new ArrayList<>();
        out.add(Snapshots.pValue("scanner", "S03/CT-07", "score_psi", first));
        for (int i = 0; i < others; i++) {
            out.add(Snapshots.pValue("scanner", "S0" + i + "/CT", "score_psi", otherP));
        }
        return out;
    }

    @Test
    void shouldNotFireWhenPValueIsSignificantAloneButNotAfterBenjaminiHochberg() {
        Rounds rounds = new Rounds(new AlertEvaluation(List.of(PSI), Map.of(), 0.05));
        // 20 tests: p = 0.01 < 0.05, but BH's cut-off for the smallest of 20 is 0.05/20 = 0.0025.
        AlertEvaluation.Result r = rounds.run(psiRound(0.01, 19, 0.5), Snapshots.T0);
        assertThat(r.tested()).isEqualTo(20);
        assertThat(r.rejected()).isZero();
        assertThat(r.alerts()).isEmpty();

        r = rounds.run(psiRound(0.002, 19, 0.5), Snapshots.T0.plusSeconds(10));
        assertThat(r.rejected()).isEqualTo(1);
        assertThat(r.alerts()).singleElement().satisfies(a -> {
            assertThat(a.status()).isEqualTo(Alert.Status.FIRING);
            assertThat(a.sliceValue()).isEqualTo("S03/CT-07");
            assertThat(a.observed().pValue()).isEqualTo(0.002);
        });
    }

    @Test
    void shouldLeaveSmallSamplesOutOfTheFamilyAndNeverFireOnThem() {
        Rounds rounds = new Rounds(new AlertEvaluation(List.of(PSI), Map.of(), 0.05));
        MetricSnapshot tiny = Snapshots.of("scanner", "S09/CT", "score_psi", 0.9, null, null, 20, 1e-12);
        AlertEvaluation.Result r = rounds.run(List.of(tiny), Snapshots.T0);
        assertThat(r.tested()).isZero();
        assertThat(r.alerts()).isEmpty();
    }

    @Test
    void shouldStayPendingForTheForDurationThenFireOnce() {
        Rounds rounds = new Rounds(new AlertEvaluation(List.of(SENS), Map.of(), 0.05));
        List<MetricSnapshot> low = List.of(Snapshots.interval("sensitivity", 0.7, 0.6, 0.8, 200));
        rounds.run(low, Snapshots.T0);
        assertThat(rounds.alerts).isEmpty();
        assertThat(rounds.states.values())
                .singleElement()
                .extracting(AlertState::phase)
                .isEqualTo(AlertState.Phase.PENDING);
        rounds.run(low, Snapshots.T0.plus(Duration.ofMinutes(59)));
        assertThat(rounds.alerts).isEmpty();
        rounds.run(low, Snapshots.T0.plus(Duration.ofMinutes(60)));
        rounds.run(low, Snapshots.T0.plus(Duration.ofMinutes(70)));
        assertThat(rounds.alerts).singleElement().satisfies(a -> {
            assertThat(a.status()).isEqualTo(Alert.Status.FIRING);
            assertThat(a.startedAt()).isEqualTo(Snapshots.T0.plus(Duration.ofMinutes(60)));
            assertThat(a.reference()).isEqualTo(0.85);
            assertThat(a.severity()).isEqualTo(Alert.Severity.CRITICAL);
        });
    }

    @Test
    void shouldDropPendingWhenTheConditionLapsesBeforeTheForDuration() {
        Rounds rounds = new Rounds(new AlertEvaluation(List.of(SENS), Map.of(), 0.05));
        rounds.run(List.of(Snapshots.interval("sensitivity", 0.7, 0.6, 0.8, 200)), Snapshots.T0);
        rounds.run(
                List.of(Snapshots.interval("sensitivity", 0.8, 0.7, 0.9, 200)),
                Snapshots.T0.plus(Duration.ofMinutes(30)));
        assertThat(rounds.states).isEmpty();
        rounds.run(
                List.of(Snapshots.interval("sensitivity", 0.7, 0.6, 0.8, 200)),
                Snapshots.T0.plus(Duration.ofMinutes(70)));
        assertThat(rounds.alerts).isEmpty();
    }

    @Test
    void shouldResolveOnlyWhenNonInferiorityIsShownAndOnce() {
        Rounds rounds = new Rounds(new AlertEvaluation(List.of(SENS), Map.of(), 0.05));
        Instant t = Snapshots.T0;
        rounds.run(List.of(Snapshots.interval("sensitivity", 0.7, 0.6, 0.8, 200)), t);
        rounds.run(List.of(Snapshots.interval("sensitivity", 0.7, 0.6, 0.8, 200)), t = t.plus(Duration.ofHours(1)));
        // Upper bound back above target, lower bound still below target - margin (0.83): still firing.
        rounds.run(List.of(Snapshots.interval("sensitivity", 0.8, 0.74, 0.86, 200)), t = t.plus(Duration.ofHours(1)));
        rounds.run(List.of(Snapshots.interval("sensitivity", 0.84, 0.8, 0.88, 200)), t = t.plus(Duration.ofHours(1)));
        assertThat(rounds.alerts).hasSize(1);
        // Lower bound at 0.84 >= 0.85 - 0.02: non-inferior, resolved once.
        rounds.run(List.of(Snapshots.interval("sensitivity", 0.87, 0.84, 0.9, 900)), t = t.plus(Duration.ofHours(1)));
        rounds.run(List.of(Snapshots.interval("sensitivity", 0.87, 0.84, 0.9, 900)), t.plus(Duration.ofHours(1)));
        assertThat(rounds.alerts).extracting(Alert::status).containsExactly(Alert.Status.FIRING, Alert.Status.RESOLVED);
        Alert firing = rounds.alerts.get(0);
        Alert resolved = rounds.alerts.get(1);
        assertThat(resolved.fingerprint()).isEqualTo(firing.fingerprint());
        assertThat(resolved.startedAt()).isEqualTo(firing.startedAt());
        assertThat(resolved.resolvedAt()).isEqualTo(t);
        assertThat(resolved.id()).isNotEqualTo(firing.id());
        assertThat(rounds.states).isEmpty();
    }

    @Test
    void shouldNeitherFireNorResolveWhenTheSnapshotHasInsufficientN() {
        Rounds rounds = new Rounds(new AlertEvaluation(List.of(SENS), Map.of(), 0.05));
        Instant t = Snapshots.T0;
        rounds.run(List.of(insufficient("sensitivity", 49)), t);
        rounds.run(List.of(insufficient("sensitivity", 49)), t = t.plus(Duration.ofHours(2)));
        assertThat(rounds.alerts).isEmpty();
        assertThat(rounds.states).isEmpty();

        rounds.run(List.of(Snapshots.interval("sensitivity", 0.7, 0.6, 0.8, 200)), t = t.plus(Duration.ofHours(1)));
        rounds.run(List.of(Snapshots.interval("sensitivity", 0.7, 0.6, 0.8, 200)), t = t.plus(Duration.ofHours(1)));
        assertThat(rounds.alerts).extracting(Alert::status).containsExactly(Alert.Status.FIRING);
        // Too few positives now (the window rolled): no evidence either way, so the alert keeps firing,
        // where a vanished snapshot would have resolved it.
        rounds.run(List.of(insufficient("sensitivity", 12)), t = t.plus(Duration.ofHours(1)));
        rounds.run(List.of(insufficient("sensitivity", 12)), t.plus(Duration.ofHours(1)));
        assertThat(rounds.alerts).extracting(Alert::status).containsExactly(Alert.Status.FIRING);
        assertThat(rounds.states).hasSize(1);
    }

    private static MetricSnapshot insufficient(String metric, long n) {
        return new MetricSnapshot(
                "chest-ct",
                "2.3.0",
                "site",
                "S03",
                "7d",
                Snapshots.T0,
                metric,
                null,
                null,
                null,
                n,
                null,
                MetricSnapshot.Status.INSUFFICIENT_N,
                Snapshots.T0);
    }

    @Test
    void shouldUseTheClaimedTargetWhenConfiguredForTheModel() {
        Rounds rounds = new Rounds(new AlertEvaluation(List.of(SENS), Map.of("chest-ct|sensitivity", 0.95), 0.05));
        // Upper 0.9: above the default 0.85, below the claimed 0.95.
        rounds.run(List.of(Snapshots.interval("sensitivity", 0.85, 0.8, 0.9, 200)), Snapshots.T0);
        rounds.run(
                List.of(Snapshots.interval("sensitivity", 0.85, 0.8, 0.9, 200)),
                Snapshots.T0.plus(Duration.ofHours(2)));
        assertThat(rounds.alerts).singleElement().extracting(Alert::reference).isEqualTo(0.95);
    }

    @Test
    void shouldResolveWhenTheSnapshotDisappears() {
        Rounds rounds = new Rounds(new AlertEvaluation(List.of(PSI), Map.of(), 0.05));
        rounds.run(psiRound(1e-9, 0, 0), Snapshots.T0);
        rounds.run(List.of(), Snapshots.T0.plusSeconds(10));
        assertThat(rounds.alerts).extracting(Alert::status).containsExactly(Alert.Status.FIRING, Alert.Status.RESOLVED);
    }

    @Test
    void shouldKeepOneFingerprintAcrossWindowsAndObservedValues() {
        MetricSnapshot w7 = Snapshots.pValue("site", "S03", "score_psi", 1e-9);
        MetricSnapshot w30 = new MetricSnapshot(
                w7.model(),
                w7.version(),
                "site",
                "S03",
                "30d",
                w7.windowEnd(),
                "score_psi",
                0.9,
                null,
                null,
                9000,
                1e-20,
                MetricSnapshot.Status.FINAL,
                w7.computedAt());
        Rounds rounds = new Rounds(new AlertEvaluation(List.of(PSI), Map.of(), 0.05));
        rounds.run(List.of(w7, w30), Snapshots.T0);
        assertThat(rounds.alerts).hasSize(1);
        assertThat(rounds.alerts.get(0).fingerprint())
                .isEqualTo(Fingerprints.fingerprint("Psi", "score_psi", "chest-ct", "2.3.0", "site", "S03"))
                .hasSize(32)
                .doesNotContain("S03");
        assertThat(Fingerprints.fingerprint("Psi", "score_psi", "chest-ct", "2.3.0", "site", "S04"))
                .isNotEqualTo(rounds.alerts.get(0).fingerprint());
        assertThat(rounds.alerts.get(0).id())
                .isEqualTo(rounds.alerts.get(0).fingerprint() + "-" + Snapshots.T0.toEpochMilli() + "-firing");
    }

    @Test
    void shouldHoldOnlyWhenEveryWindowHoldsWhenTheRuleRequiresAllWindows() {
        AlertRule lasting = new AlertRule(
                "Lasting",
                "score_psi",
                null,
                List.of("7d", "30d"),
                AlertRule.Condition.P_BELOW,
                null,
                null,
                null,
                null,
                null,
                null,
                0.2,
                100L,
                null,
                Alert.Severity.WARNING,
                null,
                null,
                true,
                null);
        MetricSnapshot w7 = Snapshots.pValue("site", "S03", "score_psi", 1e-9);
        MetricSnapshot w30quiet = new MetricSnapshot(
                w7.model(),
                w7.version(),
                "site",
                "S03",
                "30d",
                w7.windowEnd(),
                "score_psi",
                0.01,
                null,
                null,
                9000,
                0.4,
                MetricSnapshot.Status.FINAL,
                w7.computedAt());
        MetricSnapshot w30 = new MetricSnapshot(
                w7.model(),
                w7.version(),
                "site",
                "S03",
                "30d",
                w7.windowEnd(),
                "score_psi",
                0.2,
                null,
                null,
                9000,
                1e-12,
                MetricSnapshot.Status.FINAL,
                w7.computedAt());
        Rounds rounds = new Rounds(new AlertEvaluation(List.of(lasting), Map.of(), 0.05));
        rounds.run(List.of(w7, w30quiet), Snapshots.T0);
        assertThat(rounds.alerts).isEmpty();
        assertThat(rounds.states).isEmpty();
        rounds.run(List.of(w7, w30), Snapshots.T0.plusSeconds(10));
        assertThat(rounds.alerts)
                .singleElement()
                .satisfies(a -> assertThat(a.status()).isEqualTo(Alert.Status.FIRING));
        // Only the 7d window has a snapshot (the 30d one still overlaps the baseline): it decides alone.
        Rounds early = new Rounds(new AlertEvaluation(List.of(lasting), Map.of(), 0.05));
        early.run(List.of(w7), Snapshots.T0);
        assertThat(early.alerts).hasSize(1);
    }

    @Test
    void shouldProduceAlertsThatValidateAgainstTheSchema() {
        Rounds rounds = new Rounds(new AlertEvaluation(AlertRules.defaults(), Map.of(), 0.05));
        List<MetricSnapshot> snapshots = List.of(
                Snapshots.of("scanner", "S03/CT-07", "score_psi", 0.4, null, null, 800, 1e-12),
                Snapshots.of("scanner", "S03/CT-07", "acquisition_change", 1.0, null, null, 1, null),
                Snapshots.of("all", "all", "cusum_alarm:oe", 1.0, null, null, 300, null));
        rounds.run(snapshots, Snapshots.T0);
        rounds.run(List.of(), Snapshots.T0.plusSeconds(10));
        assertThat(rounds.alerts).hasSize(6);
        EventValidator validator = new EventValidator();
        JsonSerde<Alert> serde = new JsonSerde<>(Alert.class);
        for (Alert a : rounds.alerts) {
            byte[] bytes = serde.serializer().serialize("t", a);
            assertThat(validator.alert(bytes).accepted()).as(new String(bytes)).isTrue();
            assertThat(a.summary()).doesNotContain("{");
        }
    }
}
