package io.vigil.incidents;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.alerts.Fingerprints;
import io.vigil.events.Alert;
import io.vigil.events.Incident;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.ModelRef;
import io.vigil.events.ScannerSighting;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One round of {@link IncidentGrouping} at a time: which incidents open, which continue with the same id as
 * their root moves, when a parent is a root of its own, and when they resolve. The hierarchy: three sites,
 * S01 and S02 with two scanners each, S03 with one; S01-CT1 and S02-CT2 are Siemens, the rest GE.
 */
class IncidentGroupingTest {
    private static final ModelRef MODEL = new ModelRef("chest-ct", "2.3.0");
    private static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");
    private static final List<ScannerSighting> SEEN = List.of(
            seen("S01", "S01/CT1", "Siemens Force", "Siemens Force VA50", "2026-01-01"),
            seen("S01", "S01/CT2", "GE Revolution", "GE Revolution 22", "2026-01-01"),
            seen("S02", "S02/CT1", "GE Revolution", "GE Revolution 22", "2026-01-01"),
            seen("S02", "S02/CT2", "Siemens Force", "Siemens Force VA50", "2026-01-01"),
            seen("S02", "S02/CT2", "Siemens Force", "Siemens Force VA60", "2026-02-20"),
            seen("S03", "S03/CT1", "GE Revolution", "GE Revolution 22", "2026-01-01"));

    /** Shows: a scanner snapshot "shows" a rule when its p-value is at most the level asked. */
    private final IncidentGrouping grouping =
            new IncidentGrouping((rule, s, maxP) -> s.pValue() != null && s.pValue() <= maxP, Alert.Severity.WARNING);

    private final Map<String, Incident> open = new HashMap<>();

    private IncidentGrouping.Result round(List<Alert> firing, List<MetricSnapshot> snapshots, Instant now) {
        IncidentGrouping.Result r = grouping.round(firing, SEEN, snapshots, Map.copyOf(open), now);
        r.removals().forEach(open::remove);
        open.putAll(r.open());
        return r;
    }

    @Test
    void aScannerChangeSeenUpTheHierarchyIsOneIncidentRootedAtTheScanner() {
        List<Alert> firing = List.of(
                alert("VigilScoreKs", "scanner", "S02/CT2"),
                alert("VigilScoreKs", "site", "S02"),
                alert("VigilScoreKs", "scanner_model", "Siemens Force"),
                alert("VigilScoreKs", "all", "all"),
                alert("VigilAcquisitionChange", "software", "Siemens Force VA60"),
                alert("VigilPositiveRate", "site", "S02"),
                alert("VigilPositiveRate", "scanner", "S02/CT2"));

        IncidentGrouping.Result r = round(firing, List.of(), T0);

        assertThat(r.transitions()).hasSize(1);
        Incident i = r.transitions().get(0);
        assertThat(i.transition()).isEqualTo("opened");
        assertThat(i.root().toString()).isEqualTo("[scanner=S02/CT2]");
        assertThat(i.alerts()).hasSize(7);
        assertThat(i.alerts())
                .filteredOn(m -> m.role().equals("root"))
                .extracting(Incident.Member::sliceValue)
                .containsOnly("S02/CT2");
        assertThat(i.acquisitionChanges())
                .containsExactly("S02/CT2: software Siemens Force VA50 -> Siemens Force VA60 on 2026-02-20");
    }

    @Test
    void aParentThatStillDeviatesWithoutItsAlertingScannerIsTheRootOfAWiderChange() {
        List<Alert> firing = List.of(
                alert("VigilScoreKs", "scanner", "S02/CT2"),
                alert("VigilScoreKs", "site", "S02"),
                alert("VigilScoreKs", "all", "all"));
        // S01/CT2 shows the same condition on its own (p far below 0.01 / 5): the change is fleet-wide, and the
        // scanner that alerted is its evidence.
        List<MetricSnapshot> snapshots = List.of(
                snapshot("scanner", "S01/CT2", "score_ks", 1e-6), snapshot("scanner", "S02/CT1", "score_ks", 0.4));

        IncidentGrouping.Result r = round(firing, snapshots, T0);

        assertThat(r.transitions()).singleElement().satisfies(i -> {
            assertThat(i.root().toString()).isEqualTo("[all=all]");
            assertThat(i.alerts())
                    .anyMatch(m -> m.sliceValue().equals("S02/CT2") && m.role().equals("evidence"));
        });
        // The same other scanner at p = 0.01 is not evidence enough (Bonferroni over the fleet's 5 other scanners).
        open.clear();
        IncidentGrouping.Result quiet = round(firing, List.of(snapshot("scanner", "S01/CT2", "score_ks", 0.01)), T0);
        assertThat(quiet.transitions()).extracting(i -> i.root().toString()).containsExactly("[scanner=S02/CT2]");
    }

    @Test
    void aConditionAtEveryScannerIsOneIncidentAtTheModelVersionWithEverythingInsideItAsEvidence() {
        List<Alert> firing = new ArrayList<>();
        for (ScannerSighting s : SEEN) {
            firing.add(alert("VigilSensitivityBelowTarget", "scanner", s.scanner()));
        }
        firing.add(alert("VigilSensitivityBelowTarget", "all", "all"));
        firing.add(alert("VigilSensitivityBelowTarget", "sex", "F"));
        firing.add(alert("VigilScoreKs", "scanner", "S02/CT2"));
        firing.add(alert("VigilScoreKs", "site", "S02"));
        List<MetricSnapshot> snapshots = new ArrayList<>();
        for (ScannerSighting s : SEEN) {
            snapshots.add(snapshot("scanner", s.scanner(), "sensitivity", 1e-9));
        }

        List<Alert> distinct = firing.stream().distinct().toList(); // S02/CT2 ran two software versions
        IncidentGrouping.Result r = round(distinct, snapshots, T0);

        // The fleet deviates on its own: one page, rooted at the model version; the scanner's drift under
        // another rule is among its evidence, not hidden and not a second page.
        assertThat(r.transitions()).singleElement().satisfies(i -> {
            assertThat(i.root().toString()).isEqualTo("[all=all]");
            assertThat(i.alerts()).anyMatch(m -> m.sliceDimension().equals("sex"));
            assertThat(i.alerts())
                    .anyMatch(m ->
                            m.rule().equals("VigilScoreKs") && m.sliceValue().equals("S02/CT2"));
            assertThat(i.alerts()).hasSize(distinct.size());
        });
    }

    @Test
    void aCrossCuttingSliceIsEvidenceOfTheScannerThatExplainsItAndARootOnlyAlone() {
        IncidentGrouping.Result withScanner = round(
                List.of(alert("VigilScoreKs", "scanner", "S02/CT2"), alert("VigilScoreKs", "sex", "F")), List.of(), T0);
        assertThat(withScanner.transitions())
                .extracting(i -> i.root().toString())
                .containsExactly("[scanner=S02/CT2]");

        open.clear();
        IncidentGrouping.Result alone = round(List.of(alert("VigilSensitivityBelowTarget", "sex", "F")), List.of(), T0);
        assertThat(alone.transitions()).extracting(i -> i.root().toString()).containsExactly("[sex=F]");
    }

    @Test
    void anIncidentKeepsItsIdWhenItsRootMovesDownAndResolvesWhenItsAlertsStop() {
        IncidentGrouping.Result first = round(List.of(alert("VigilScoreKs", "site", "S02")), List.of(), T0);
        assertThat(first.transitions())
                .singleElement()
                .satisfies(i -> assertThat(i.root().toString()).isEqualTo("[site=S02]"));
        String id = first.transitions().get(0).id();

        Instant t1 = T0.plus(Duration.ofMinutes(5));
        IncidentGrouping.Result second = round(
                List.of(alert("VigilScoreKs", "site", "S02"), alert("VigilScoreKs", "scanner", "S02/CT2")),
                List.of(),
                t1);
        assertThat(second.transitions()).singleElement().satisfies(i -> {
            assertThat(i.id()).isEqualTo(id);
            assertThat(i.transition()).isEqualTo("root_changed");
            assertThat(i.root().toString()).isEqualTo("[scanner=S02/CT2]");
            assertThat(i.firstDetected()).isEqualTo(T0);
        });

        IncidentGrouping.Result same = round(
                List.of(alert("VigilScoreKs", "site", "S02"), alert("VigilScoreKs", "scanner", "S02/CT2")),
                List.of(),
                t1.plusSeconds(60));
        assertThat(same.transitions()).as("nothing changed: nothing to publish").isEmpty();

        IncidentGrouping.Result escalated = round(
                List.of(
                        alert("VigilScoreKs", "site", "S02"),
                        alert("VigilScoreKs", "scanner", "S02/CT2"),
                        critical("VigilSensitivityBelowTarget", "scanner", "S02/CT2")),
                List.of(),
                t1.plusSeconds(120));
        assertThat(escalated.transitions()).singleElement().satisfies(i -> {
            assertThat(i.transition()).isEqualTo("escalated");
            assertThat(i.severity()).isEqualTo(Alert.Severity.CRITICAL);
        });

        IncidentGrouping.Result resolved = round(List.of(), List.of(), t1.plusSeconds(180));
        assertThat(resolved.transitions()).singleElement().satisfies(i -> {
            assertThat(i.id()).isEqualTo(id);
            assertThat(i.status()).isEqualTo(Incident.Status.RESOLVED);
            assertThat(i.resolvedAt()).isEqualTo(t1.plusSeconds(180));
        });
        assertThat(open).isEmpty();
    }

    @Test
    void twoScannersAtTwoSitesAreTwoIncidentsAndTheFleetAlertIsEvidenceOfBoth() {
        List<Alert> firing = List.of(
                alert("VigilScoreKs", "scanner", "S02/CT2"),
                alert("VigilScoreKs", "scanner", "S03/CT1"),
                alert("VigilScoreKs", "site", "S03"),
                alert("VigilScoreKs", "all", "all"));

        IncidentGrouping.Result r = round(firing, List.of(), T0);

        assertThat(r.transitions())
                .extracting(i -> i.root().toString())
                .containsExactlyInAnyOrder("[scanner=S02/CT2]", "[scanner=S03/CT1]");
        assertThat(r.transitions())
                .allSatisfy(i -> assertThat(i.alerts())
                        .anyMatch(m ->
                                m.sliceDimension().equals("all") && m.role().equals("evidence")));
    }

    @Test
    void anAlertOnAnOverflowValueOrWithoutSightingsIsAnIncidentOfItsOwn() {
        IncidentGrouping.Result r = round(
                List.of(alert("VigilScoreKs", "scanner", "other"), alert("VigilScoreKs", "scanner", "S02/CT2")),
                List.of(),
                T0);

        assertThat(r.transitions())
                .extracting(i -> i.root().toString())
                .containsExactlyInAnyOrder("[scanner=other]", "[scanner=S02/CT2]");
    }

    @Test
    void theChangeTimeIsTheEarliestCusumChangeStartInAlarmOnTheRoot() {
        Instant start = Instant.parse("2026-02-20T00:00:00Z");
        List<MetricSnapshot> snapshots = List.of(
                value("scanner", "S02/CT2", "cusum_alarm:score_mean", 1),
                value("scanner", "S02/CT2", "cusum_change_start:score_mean", start.getEpochSecond()),
                value("scanner", "S02/CT2", "cusum_alarm:positive_rate", 0),
                value(
                        "scanner",
                        "S02/CT2",
                        "cusum_change_start:positive_rate",
                        start.minus(Duration.ofDays(9)).getEpochSecond()));

        IncidentGrouping.Result r = round(List.of(alert("VigilCusumAlarm", "scanner", "S02/CT2")), snapshots, T0);

        assertThat(r.transitions().get(0).changeAt())
                .as("the positive-rate CUSUM is not in alarm")
                .isEqualTo(start);
    }

    // ---------- fixtures ----------

    private static ScannerSighting seen(String site, String scanner, String model, String software, String day) {
        Instant first = Instant.parse(day + "T08:00:00Z");
        return new ScannerSighting(
                MODEL.id(), MODEL.version(), site, scanner, model, software, 0, first, first.plus(Duration.ofDays(1)));
    }

    private static Alert alert(String rule, String dimension, String value) {
        return alert(rule, dimension, value, Alert.Severity.WARNING);
    }

    private static Alert critical(String rule, String dimension, String value) {
        return alert(rule, dimension, value, Alert.Severity.CRITICAL);
    }

    private static Alert alert(String rule, String dimension, String value, Alert.Severity severity) {
        String metric = switch (rule) {
            case "VigilScoreKs" -> "score_ks";
            case "VigilPositiveRate" -> "positive_rate";
            case "VigilSensitivityBelowTarget" -> "sensitivity";
            case "VigilCusumAlarm" -> "cusum_alarm:score_mean";
            default -> "acquisition_change";
        };
        String fp = Fingerprints.fingerprint(rule, metric, MODEL.id(), MODEL.version(), dimension, value);
        return new Alert(
                Fingerprints.id(fp, T0, Alert.Status.FIRING),
                fp,
                Alert.Status.FIRING,
                severity,
                rule,
                metric,
                MODEL,
                dimension,
                value,
                "30d",
                new Alert.Observed(0.1, null, null, 1000, 1e-9),
                null,
                T0,
                null,
                rule + " on " + dimension + "=" + value);
    }

    private static MetricSnapshot snapshot(String dimension, String value, String metric, double p) {
        return new MetricSnapshot(
                MODEL.id(),
                MODEL.version(),
                dimension,
                value,
                "30d",
                T0,
                metric,
                0.2,
                null,
                null,
                1000,
                p,
                MetricSnapshot.Status.FINAL,
                T0);
    }

    private static MetricSnapshot value(String dimension, String value, String metric, double estimate) {
        return new MetricSnapshot(
                MODEL.id(),
                MODEL.version(),
                dimension,
                value,
                "60d",
                T0,
                metric,
                estimate,
                null,
                null,
                1000,
                null,
                MetricSnapshot.Status.FINAL,
                T0);
    }
}
