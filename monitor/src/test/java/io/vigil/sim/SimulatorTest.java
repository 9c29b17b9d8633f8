package io.vigil.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.vigil.events.GroundTruth;
import io.vigil.events.Prediction;
import java.security.MessageDigest;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Properties of the simulated stream. Statistical checks compare against values derived from the
 * scenario's parameters, with tolerances of a few standard errors (false-failure probability well
 * below 1e-4 per check; the seed is fixed, so a test either always passes or always fails).
 */
class SimulatorTest {
    private static final LocalDate START = LocalDate.of(2025, 1, 6);
    private static final long SEED = 7L;
    private static final Scenario DEFAULT = Scenario.builtIn("default");

    /** The full default scenario, labels emitted until they all arrived (no truncation at the end). */
    private static List<SimEvent> events;

    private static List<Prediction> predictions;
    private static List<GroundTruth> labels;

    @BeforeAll
    static void simulateDefaultScenario() {
        events = Simulator.create(DEFAULT, SEED, START, DEFAULT.days()).withLabelHorizon(Duration.ofDays(400)).stream()
                .toList();
        predictions = events.stream()
                .filter(SimEvent::isPrediction)
                .map(SimEvent::prediction)
                .toList();
        labels = events.stream()
                .filter(e -> !e.isPrediction())
                .map(SimEvent::groundTruth)
                .toList();
    }

    @Test
    void shouldProduceIdenticalBytesWhenSeedIsTheSame() throws Exception {
        String first = sha256(Simulator.of(DEFAULT, 11L, START, 20).toList());
        String second =
                sha256(Simulator.of(Scenario.builtIn("default"), 11L, START, 20).toList());
        assertThat(second).isEqualTo(first);
    }

    @Test
    void shouldProduceDifferentBytesWhenSeedDiffers() throws Exception {
        assertThat(sha256(Simulator.of(DEFAULT, 12L, START, 20).toList()))
                .isNotEqualTo(sha256(Simulator.of(DEFAULT, 11L, START, 20).toList()));
    }

    @Test
    void shouldReplayTheSameEventsWhenIteratedTwice() {
        Simulator sim = Simulator.create(DEFAULT, 3L, START, 5);
        assertThat(sim.stream().toList()).isEqualTo(sim.stream().toList());
    }

    @Test
    void shouldOrderEventsByEventTimeWhenMerged() {
        for (int i = 1; i < events.size(); i++) {
            assertThat(events.get(i).time())
                    .as("event %d", i)
                    .isAfterOrEqualTo(events.get(i - 1).time());
        }
        assertThat(predictions).isNotEmpty();
        assertThat(labels).isNotEmpty();
    }

    @Test
    void shouldKeepPredictionsInsideTheSimulatedDaysWhenStartAndDaysAreGiven() {
        Instant start = START.atStartOfDay(ZoneOffset.UTC).toInstant();
        Instant end = start.plus(Duration.ofDays(DEFAULT.days()));
        assertThat(predictions).allSatisfy(p -> assertThat(p.occurredAt()).isBetween(start, end.minusMillis(1)));
        // Roughly the configured mean volume: sum of daily volumes x weekly factor x days.
        double expected = 0;
        for (Scenario.SiteSpec site : DEFAULT.sites()) {
            for (Scenario.ScannerSpec s : site.scanners()) {
                expected += s.dailyVolume() * (5 * s.weekdayFactor() + 2 * s.weekendFactor()) / 7.0 * DEFAULT.days();
            }
        }
        double repeats = expected * DEFAULT.repeats().fraction();
        assertThat((double) predictions.size()).isCloseTo(expected + repeats, within(0.02 * expected));
    }

    @Test
    void shouldGiveEveryPredictionAUniqueIdWhenGenerated() {
        Set<String> ids = new HashSet<>();
        for (Prediction p : predictions) {
            assertThat(ids.add(p.predictionId())).as(p.predictionId()).isTrue();
        }
    }

    @Test
    void shouldObserveEveryLabelAfterItsPredictionWhenLabelsArrive() {
        Map<String, Instant> occurred =
                predictions.stream().collect(Collectors.toMap(Prediction::predictionId, Prediction::occurredAt));
        assertThat(labels).allSatisfy(g -> {
            assertThat(occurred).containsKey(g.predictionId());
            assertThat(g.observedAt()).isAfterOrEqualTo(occurred.get(g.predictionId()));
            assertThat(Duration.between(occurred.get(g.predictionId()), g.observedAt()))
                    .isLessThanOrEqualTo(Duration.ofDays(180 + 180));
        });
    }

    @Test
    void shouldVerifyPredictionsAtTheConfiguredCoverageWhenGroupedByPredictedClass() {
        Set<String> labelled = labels.stream()
                .filter(g -> g.revision() == 0)
                .map(GroundTruth::predictionId)
                .collect(Collectors.toSet());
        long pos = 0, posLabelled = 0, neg = 0, negLabelled = 0;
        for (Prediction p : predictions) {
            boolean hasLabel = labelled.contains(p.predictionId());
            if (p.predictedPositive()) {
                pos++;
                posLabelled += hasLabel ? 1 : 0;
            } else {
                neg++;
                negLabelled += hasLabel ? 1 : 0;
            }
        }
        LabelModel.Coverage c = DEFAULT.labels().coverage();
        assertThat((double) posLabelled / pos)
                .isCloseTo(c.predictedPositive(), within(binomialTolerance(c.predictedPositive(), pos)));
        assertThat((double) negLabelled / neg)
                .isCloseTo(c.predictedNegative(), within(binomialTolerance(c.predictedNegative(), neg)));
    }

    @Test
    void shouldMatchScenarioPrevalenceWhenEveryPredictionIsVerified() {
        Scenario full = withLabels(
                DEFAULT.withoutEvents(),
                new LabelModel(
                        new LabelModel.Coverage(1.0, 1.0), DEFAULT.labels().sources(), 0.0, null, null, null));
        List<GroundTruth> all = Simulator.create(full, SEED, START, 60).withLabelHorizon(Duration.ofDays(400)).stream()
                .filter(e -> !e.isPrediction())
                .map(SimEvent::groundTruth)
                .toList();
        double positives = all.stream().filter(g -> g.label() == 1).count();
        assertThat(positives / all.size())
                .isCloseTo(DEFAULT.prevalence(), within(binomialTolerance(DEFAULT.prevalence(), all.size())));
    }

    @Test
    void shouldReviseAboutTheConfiguredFractionWhenLabelsAreCorrected() {
        Map<String, List<GroundTruth>> byId = labels.stream().collect(Collectors.groupingBy(GroundTruth::predictionId));
        long firsts = byId.size();
        long revised = byId.values().stream().filter(l -> l.size() == 2).count();
        assertThat(byId.values()).allSatisfy(l -> {
            assertThat(l).hasSizeBetween(1, 2);
            assertThat(l.get(0).revision()).isZero();
            if (l.size() == 2) {
                assertThat(l.get(1).revision()).isEqualTo(1);
                assertThat(l.get(1).label()).isEqualTo(1 - l.get(0).label());
                assertThat(l.get(1).source()).isEqualTo("adjudication");
                assertThat(l.get(1).observedAt()).isAfterOrEqualTo(l.get(0).observedAt());
            }
        });
        double f = DEFAULT.labels().revisionFraction();
        assertThat((double) revised / firsts).isCloseTo(f, within(binomialTolerance(f, firsts)));
    }

    @Test
    void shouldDelayLabelsByTheConfiguredMediansWhenGroupedBySource() {
        Map<String, Instant> occurred =
                predictions.stream().collect(Collectors.toMap(Prediction::predictionId, Prediction::occurredAt));
        Map<String, List<Double>> delays = new HashMap<>();
        for (GroundTruth g : labels) {
            if (g.revision() == 0) {
                double days = Duration.between(occurred.get(g.predictionId()), g.observedAt())
                                .toMillis()
                        / 86_400_000.0;
                delays.computeIfAbsent(g.source(), k -> new ArrayList<>()).add(days);
                delays.computeIfAbsent("all", k -> new ArrayList<>()).add(days);
            }
        }
        for (LabelModel.Source s : DEFAULT.labels().sources()) {
            // The sample median of n log-normal draws has SD about 1.25 sigma median / sqrt(n) on the day scale.
            List<Double> d = delays.get(s.source());
            double se = 1.2533 * s.delay().sigma() * s.delay().median() / Math.sqrt(d.size());
            assertThat(median(d)).as(s.source()).isCloseTo(s.delay().median(), within(5 * se));
        }
        assertThat(median(delays.get("all"))).isBetween(7.0, 13.0);
    }

    @Test
    void shouldShiftOnlyTheUpdatedScannerMeanScoreWhenSoftwareIsUpdated() {
        ScheduledEvent.SoftwareUpdate update =
                (ScheduledEvent.SoftwareUpdate) DEFAULT.events().get(0);
        Instant at = START.atStartOfDay(ZoneOffset.UTC).toInstant().plus(Duration.ofDays((long) update.day()));
        ScoreModel m = DEFAULT.scoreModel();
        double prior = DEFAULT.prevalence();
        double expectedBefore = expectedMeanScore(DEFAULT.prevalence(), m.separation(), prior, 0.0, 1.0, 0.0);
        double expectedAfter = expectedMeanScore(
                DEFAULT.prevalence(),
                m.separation(),
                prior,
                update.calibration().intercept(),
                update.calibration().slope(),
                update.latentShift());

        Map<String, List<Prediction>> byScanner = predictions.stream()
                .collect(Collectors.groupingBy(p -> p.scanner().id()));
        for (Map.Entry<String, List<Prediction>> e : byScanner.entrySet()) {
            List<Double> before = e.getValue().stream()
                    .filter(p -> p.occurredAt().isBefore(at))
                    .map(Prediction::score)
                    .toList();
            List<Double> after = e.getValue().stream()
                    .filter(p -> !p.occurredAt().isBefore(at))
                    .map(Prediction::score)
                    .toList();
            double shift = mean(after) - mean(before);
            double se = Math.sqrt(variance(before) / before.size() + variance(after) / after.size());
            double expectedShift = e.getKey().equals(update.scanner()) ? expectedAfter - expectedBefore : 0.0;
            assertThat(shift).as("mean score shift of %s", e.getKey()).isCloseTo(expectedShift, within(4.5 * se));
            assertThat(mean(before))
                    .as("mean score of %s before", e.getKey())
                    .isCloseTo(expectedBefore, within(4.5 * Math.sqrt(variance(before) / before.size())));
        }
        assertThat(expectedAfter - expectedBefore).isGreaterThan(0.05);
        assertThat(byScanner.get(update.scanner()))
                .allSatisfy(p -> assertThat(p.scanner().softwareVersion())
                        .isEqualTo(p.occurredAt().isBefore(at) ? "syngo CT VA50A" : update.softwareVersion()));
    }

    @Test
    void shouldLeaveArrivalsAndOtherScannersUnchangedWhenAnEventIsAdded() {
        List<Prediction> withUpdate = predictionsOf(Simulator.of(DEFAULT, 5L, START, 90));
        List<Prediction> steady = predictionsOf(Simulator.of(Scenario.builtIn("steady"), 5L, START, 90));
        assertThat(withUpdate).hasSameSizeAs(steady);
        Instant at = START.atStartOfDay(ZoneOffset.UTC).toInstant().plus(Duration.ofDays(60));
        int changed = 0;
        for (int i = 0; i < steady.size(); i++) {
            Prediction a = withUpdate.get(i);
            Prediction b = steady.get(i);
            assertThat(a.predictionId()).isEqualTo(b.predictionId());
            assertThat(a.occurredAt()).isEqualTo(b.occurredAt());
            assertThat(a.subjectKey()).isEqualTo(b.subjectKey());
            if (a.scanner().id().equals("S02-CT2") && !a.occurredAt().isBefore(at)) {
                changed += a.score() != b.score() ? 1 : 0;
            } else {
                assertThat(a).isEqualTo(b);
            }
        }
        assertThat(changed).isPositive();
    }

    @Test
    void shouldLeaveOtherScannersUnchangedWhenAScannerIsAdded() {
        Scenario.ScannerSpec extra = DEFAULT.sites().get(0).scanners().get(0);
        Scenario bigger = withEvents(
                DEFAULT,
                List.of(new ScheduledEvent.NewScanner(
                        10,
                        "S04",
                        new Scenario.ScannerSpec(
                                "S04-CT1",
                                "Canon",
                                "Aquilion ONE",
                                "10.2",
                                "CT",
                                "CHEST",
                                200.0,
                                1.0,
                                1.0,
                                null,
                                extra.features()))));
        List<Prediction> base = predictionsOf(Simulator.of(DEFAULT.withoutEvents(), 9L, START, 30));
        List<Prediction> more = predictionsOf(Simulator.of(bigger, 9L, START, 30));
        List<Prediction> newScanner =
                more.stream().filter(p -> p.scanner().id().equals("S04-CT1")).toList();
        assertThat(more.stream()
                        .filter(p -> !p.scanner().id().equals("S04-CT1"))
                        .toList())
                .isEqualTo(base);
        assertThat(newScanner).isNotEmpty().allSatisfy(p -> {
            assertThat(p.site()).isEqualTo("S04");
            assertThat(p.occurredAt())
                    .isAfterOrEqualTo(
                            START.atStartOfDay(ZoneOffset.UTC).toInstant().plus(Duration.ofDays(10)));
        });
    }

    @Test
    void shouldRaiseTruePrevalenceWhenPrevalenceChangeIsScheduled() {
        Scenario full = withLabels(
                DEFAULT.withoutEvents(),
                new LabelModel(
                        new LabelModel.Coverage(1.0, 1.0), DEFAULT.labels().sources(), 0.0, null, null, null));
        Scenario changed = withEvents(full, List.of(new ScheduledEvent.PrevalenceChange(20, "S01", 0.3)));
        Instant at = START.atStartOfDay(ZoneOffset.UTC).toInstant().plus(Duration.ofDays(20));
        List<SimEvent> run = Simulator.create(changed, SEED, START, 40).withLabelHorizon(Duration.ofDays(400)).stream()
                .toList();
        Map<String, Prediction> byId = new HashMap<>();
        run.stream().filter(SimEvent::isPrediction).forEach(e -> byId.put(e.key(), e.prediction()));
        long n = 0, pos = 0;
        for (SimEvent e : run) {
            if (!e.isPrediction()) {
                Prediction p = byId.get(e.key());
                // Repeats of subjects first seen before the change keep their label: the 0.01 slack covers them.
                if (p.site().equals("S01") && !p.occurredAt().isBefore(at)) {
                    n++;
                    pos += e.groundTruth().label();
                }
            }
        }
        assertThat((double) pos / n).isCloseTo(0.3, within(binomialTolerance(0.3, n) + 0.01));
    }

    @Test
    void shouldShareSubjectKeyWhenStudyIsRepeated() {
        Map<String, List<Prediction>> bySubject =
                predictions.stream().collect(Collectors.groupingBy(Prediction::subjectKey));
        List<List<Prediction>> pairs =
                bySubject.values().stream().filter(l -> l.size() > 1).toList();
        assertThat(bySubject.values()).allSatisfy(l -> assertThat(l).hasSizeLessThanOrEqualTo(2));
        double firsts = bySubject.size();
        double f = DEFAULT.repeats().fraction();
        // Repeats due after the end are dropped, about (within_days / 2) / days of them.
        double expected = f * (1.0 - 15.5 / DEFAULT.days());
        assertThat(pairs.size() / firsts).isCloseTo(expected, within(binomialTolerance(expected, (long) firsts)));
        double[] x = new double[pairs.size()];
        double[] y = new double[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            Prediction a = pairs.get(i).get(0);
            Prediction b = pairs.get(i).get(1);
            assertThat(b.scanner().id()).isEqualTo(a.scanner().id());
            assertThat(b.demographics()).isEqualTo(a.demographics());
            assertThat(b.studyKey()).isNotEqualTo(a.studyKey());
            assertThat(Duration.between(a.occurredAt(), b.occurredAt()))
                    .isPositive()
                    .isLessThanOrEqualTo(Duration.ofDays(DEFAULT.repeats().withinDays() + 1));
            x[i] = logit(a.score());
            y[i] = logit(b.score());
        }
        // The logit score is linear in the latent evidence, whose correlation includes the shared label.
        assertThat(correlation(x, y)).isGreaterThan(DEFAULT.repeats().scoreCorrelation());
    }

    @Test
    void shouldFollowTheWeeklyPatternWhenCountingDailyVolume() {
        Map<LocalDate, Long> perDay = predictions.stream()
                .filter(p -> p.scanner().id().equals("S01-CT1"))
                .collect(Collectors.groupingBy(
                        p -> p.occurredAt().atZone(ZoneOffset.UTC).toLocalDate(), Collectors.counting()));
        double weekday = perDay.entrySet().stream()
                .filter(e -> e.getKey().getDayOfWeek().getValue() <= 5)
                .mapToLong(Map.Entry::getValue)
                .average()
                .orElseThrow();
        double weekend = perDay.entrySet().stream()
                .filter(e -> e.getKey().getDayOfWeek() == DayOfWeek.SATURDAY
                        || e.getKey().getDayOfWeek() == DayOfWeek.SUNDAY)
                .mapToLong(Map.Entry::getValue)
                .average()
                .orElseThrow();
        Scenario.ScannerSpec s = DEFAULT.sites().get(0).scanners().get(0);
        // Plus 5% repeats, which land on any day.
        assertThat(weekday).isCloseTo(s.dailyVolume() * s.weekdayFactor() * 1.03, within(0.05 * s.dailyVolume()));
        assertThat(weekend).isCloseTo(s.dailyVolume() * s.weekendFactor() * 1.06, within(0.07 * s.dailyVolume()));
    }

    @Test
    void shouldStopAfterLimitButStillEmitLabelsWhenMaxPredictionsIsSet() {
        List<SimEvent> run = Simulator.create(DEFAULT, SEED, START, 30).withMaxPredictions(500).stream()
                .toList();
        List<SimEvent> full =
                Simulator.create(DEFAULT, SEED, START, 30).stream().toList();
        List<SimEvent> firstPredictions =
                full.stream().filter(SimEvent::isPrediction).limit(500).toList();
        assertThat(run.stream().filter(SimEvent::isPrediction).toList()).isEqualTo(firstPredictions);
        Set<String> ids = firstPredictions.stream().map(SimEvent::key).collect(Collectors.toSet());
        List<SimEvent> runLabels = run.stream().filter(e -> !e.isPrediction()).toList();
        assertThat(runLabels).isNotEmpty().allSatisfy(e -> assertThat(ids).contains(e.key()));
        assertThat(runLabels)
                .isEqualTo(full.stream()
                        .filter(e -> !e.isPrediction() && ids.contains(e.key()))
                        .toList());
    }

    @Test
    void shouldEmitNoLabelAfterTheEndWhenHorizonIsZero() {
        Simulator sim = Simulator.create(DEFAULT, SEED, START, 30);
        assertThat(sim.stream()).allSatisfy(e -> assertThat(e.time()).isBefore(sim.end()));
    }

    // ---- helpers

    static String sha256(List<SimEvent> events) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (SimEvent e : events) {
            md.update(EventJson.bytes(e));
            md.update((byte) '\n');
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static List<Prediction> predictionsOf(java.util.stream.Stream<SimEvent> s) {
        return s.filter(SimEvent::isPrediction).map(SimEvent::prediction).toList();
    }

    /** Five binomial standard errors. */
    private static double binomialTolerance(double p, long n) {
        return 5 * Math.sqrt(p * (1 - p) / n);
    }

    /** E[score] by trapezoidal quadrature over the latent evidence, from the documented score model. */
    static double expectedMeanScore(
            double prevalence, double separation, double prior, double intercept, double slope, double shift) {
        double sum = 0;
        for (int y = 0; y <= 1; y++) {
            double weight = y == 1 ? prevalence : 1 - prevalence;
            double mu = y * separation + shift;
            double h = 0.001;
            double integral = 0;
            for (double z = mu - 12; z <= mu + 12; z += h) {
                double posterior = Math.log(prior / (1 - prior)) + separation * z - separation * separation / 2;
                double s = 1 / (1 + Math.exp(-(intercept + slope * posterior)));
                integral += s * Math.exp(-0.5 * (z - mu) * (z - mu)) / Math.sqrt(2 * Math.PI) * h;
            }
            sum += weight * integral;
        }
        return sum;
    }

    private static Scenario withLabels(Scenario s, LabelModel labels) {
        return new Scenario(
                s.name(),
                s.description(),
                s.model(),
                s.days(),
                s.prevalence(),
                s.scoreModel(),
                s.demographics(),
                s.features(),
                s.hourlyProfile(),
                s.sites(),
                s.repeats(),
                labels,
                s.events());
    }

    private static Scenario withEvents(Scenario s, List<ScheduledEvent> events) {
        return new Scenario(
                s.name(),
                s.description(),
                s.model(),
                s.days(),
                s.prevalence(),
                s.scoreModel(),
                s.demographics(),
                s.features(),
                s.hourlyProfile(),
                s.sites(),
                s.repeats(),
                s.labels(),
                events);
    }

    private static double logit(double p) {
        double q = Math.min(1 - 1e-6, Math.max(1e-6, p));
        return Math.log(q / (1 - q));
    }

    private static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }

    private static double variance(List<Double> xs) {
        double m = mean(xs);
        return xs.stream().mapToDouble(x -> (x - m) * (x - m)).sum() / (xs.size() - 1);
    }

    private static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private static double correlation(double[] x, double[] y) {
        double mx = 0, my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i] / x.length;
            my += y[i] / y.length;
        }
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }
}
