package io.vigil.verification;

import io.vigil.aggregates.OutcomeAggregate;
import io.vigil.aggregates.OutcomeChange;
import io.vigil.aggregates.StudyPairChange;
import io.vigil.aggregates.SubjectStudies;
import io.vigil.config.VigilConfig;
import io.vigil.events.MetricSnapshot;
import io.vigil.stages.Performance;
import io.vigil.verification.Claim.Status;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Coverage of the patient-wise intervals (issue 18, Must 6): repeat studies of one patient are correlated, so
 * an interval that counts them as independent is too narrow.
 *
 * <p>Each replicate draws a window of patients: 30% have 2 to 4 studies (equally likely), the others one. A
 * patient's disease status D ~ Bernoulli(prevalence) is the label of every study of that patient (follow-up
 * imaging of one condition), and 30% of patients are "hard" for the model, in all their studies: a hard
 * patient's positive studies are scored like negatives, Beta(2, 3), and a hard patient's negative studies like
 * positives, Beta(3, 2); an easy patient's positives Beta(3, 2) and negatives Beta(2, 3); threshold 0.5.
 * Studies fall on the 7 days of the window. So labels are fully correlated within a patient and decisions and
 * scores strongly, while each metric's true value is exact: sensitivity = specificity = 0.7 · 11/16 + 0.3 · 5/16
 * = 0.575; PPV and NPV by Bayes from them; AUC = 0.49 · 53/70 + 0.42 · 1/2 + 0.09 · 17/70; Brier 0.7 · 0.2 +
 * 0.3 · 0.4 = 0.26 (E(1 − s)² of a Beta(3, 2) score is 0.2, of a Beta(2, 3) one 0.4); O/E = prevalence /
 * E(score), E(score) = 0.54 prevalence + 0.46 (1 − prevalence).
 *
 * <p>Production path: every study goes, as {@link OutcomeChange}s (registration, then its label), into the
 * daily {@link OutcomeAggregate} of its cohort day; every patient's studies go, in a random arrival order,
 * through {@link SubjectStudies} (the subject pairing's state, with the topology's longest window), whose
 * {@link StudyPairChange}s go into the bucket of the later day; {@link Performance#snapshots} with the
 * topology's defaults but one 7-day window publishes the intervals. "Before" rows skip the pairs: what Vigil
 * published without a subject-key secret, and for every window before patient-wise intervals.
 */
public final class ClusteredIntervalClaims {
    static final double NOMINAL = 0.95;
    /** Share of patients with repeat studies, and of "hard" patients. */
    static final double REPEAT_SHARE = 0.3;

    static final double HARD_SHARE = 0.3;
    private static final String GROUP = "m|1|all|all";
    private static final long DAY = 20_454;
    private static final int WINDOW_DAYS = 7;
    private static final VigilConfig CONFIG = new VigilConfig(
            Map.of(VigilConfig.BOOTSTRAP_SERVERS, "localhost:9092", VigilConfig.OUTCOMES_WINDOWS, "7d"));
    private static final Performance STAGE = new Performance(Performance.Settings.from(CONFIG));
    /** The pairing's window in the topology: the longest default outcome window. */
    private static final int PAIRING_WINDOW = Performance.Settings.from(
                    new VigilConfig(Map.of(VigilConfig.BOOTSTRAP_SERVERS, "localhost:9092")))
            .longestWindow();

    private static final double SENSITIVITY =
            (1 - HARD_SHARE) * IntervalClaims.TRUE_SENSITIVITY + HARD_SHARE * (1 - IntervalClaims.TRUE_SENSITIVITY);
    private static final double SPECIFICITY = SENSITIVITY;
    private static final double AUC = (1 - HARD_SHARE) * (1 - HARD_SHARE) * IntervalClaims.TRUE_AUC
            + 2 * HARD_SHARE * (1 - HARD_SHARE) * 0.5
            + HARD_SHARE * HARD_SHARE * (1 - IntervalClaims.TRUE_AUC);
    private static final double BRIER = (1 - HARD_SHARE) * 0.2 + HARD_SHARE * 0.4;

    /** The metrics claimed, with their intervals' methods. */
    enum Metric {
        SENSITIVITY("sensitivity", "Wilson at the patient-wise effective n"),
        SPECIFICITY("specificity", "Wilson at the patient-wise effective n"),
        PPV("ppv", "Wilson at the patient-wise effective n"),
        NPV("npv", "Wilson at the patient-wise effective n"),
        PREVALENCE("prevalence", "Wilson at the patient-wise effective n"),
        BRIER("brier", "normal, cluster-robust variance"),
        OE_RATIO("oe_ratio", "log scale, Poisson-binomial plus within-patient covariance"),
        AUC("auc", "DeLong logit with Obuchowski's clustered variance");

        final String name;
        final String method;

        Metric(String name, String method) {
            this.name = name;
            this.method = method;
        }

        double truth(double prevalence) {
            return switch (this) {
                case SENSITIVITY -> ClusteredIntervalClaims.SENSITIVITY;
                case SPECIFICITY -> ClusteredIntervalClaims.SPECIFICITY;
                case PPV ->
                    prevalence
                            * ClusteredIntervalClaims.SENSITIVITY
                            / (prevalence * ClusteredIntervalClaims.SENSITIVITY
                                    + (1 - prevalence) * (1 - ClusteredIntervalClaims.SPECIFICITY));
                case NPV ->
                    (1 - prevalence)
                            * ClusteredIntervalClaims.SPECIFICITY
                            / ((1 - prevalence) * ClusteredIntervalClaims.SPECIFICITY
                                    + prevalence * (1 - ClusteredIntervalClaims.SENSITIVITY));
                case PREVALENCE -> prevalence;
                case BRIER -> ClusteredIntervalClaims.BRIER;
                case OE_RATIO -> prevalence / (0.54 * prevalence + 0.46 * (1 - prevalence));
                case AUC -> ClusteredIntervalClaims.AUC;
            };
        }
    }

    /** A window of this many patients at this prevalence. */
    record Setting(int patients, double prevalence) {
        String describe() {
            return String.format(
                    "%,d patients (about %,d studies), 30%% with 2-4 studies, prevalence %.1f, 30%% hard patients",
                    patients, Math.round(patients * (1 + REPEAT_SHARE * 2)), prevalence);
        }
    }

    private ClusteredIntervalClaims() {}

    /** Every claim, in table order: patient-wise rows, then the independent intervals on the same data. */
    public static List<Claim> all() {
        List<Claim> claims = new ArrayList<>();
        List<Setting> settings = List.of(new Setting(500, 0.3), new Setting(1_000, 0.1), new Setting(3_000, 0.1));
        for (Setting s : settings) {
            for (Metric m : Metric.values()) {
                claims.add(claim(m, s, true));
            }
        }
        for (Metric m : Metric.values()) {
            claims.add(claim(m, settings.get(0), false));
        }
        return claims;
    }

    /** The claimed rows, for CI. */
    public static List<Claim> claimed() {
        return all().stream().filter(c -> c.status() == Status.CLAIMED).toList();
    }

    static Claim claim(Metric metric, Setting setting, boolean patientWise) {
        String quantity = patientWise
                ? metric.name + " 95% interval, patient-wise (" + metric.method + ")"
                : metric.name + " 95% interval, studies taken as independent (before)";
        return new Claim(
                quantity,
                setting.describe(),
                NOMINAL,
                patientWise ? Status.CLAIMED : Status.KNOWN_SHORTFALL,
                random -> covers(snapshots(random, setting, patientWise), metric, metric.truth(setting.prevalence())));
    }

    /** One window's snapshots through the performance stage, with or without the subject pairing's pairs. */
    static List<MetricSnapshot> snapshots(SplittableRandom random, Setting setting, boolean patientWise) {
        TreeMap<Long, OutcomeAggregate> days = new TreeMap<>();
        List<String> groups = List.of(GROUP);
        long study = 0;
        for (int p = 0; p < setting.patients(); p++) {
            int studies = random.nextDouble() < REPEAT_SHARE ? 2 + random.nextInt(3) : 1;
            int y = Draws.bernoulli(random, setting.prevalence());
            boolean hard = random.nextDouble() < HARD_SHARE;
            boolean scoredHigh = (y == 1) != hard;
            List<SubjectStudies.Study> labelled = new ArrayList<>();
            for (int s = 0; s < studies; s++) {
                long day = DAY - random.nextInt(WINDOW_DAYS);
                double score = scoredHigh ? Draws.beta(random, 3, 2) : Draws.beta(random, 2, 3);
                OutcomeAggregate bucket = days.computeIfAbsent(day, d -> new OutcomeAggregate());
                bucket.apply(new OutcomeChange(groups, score, IntervalClaims.THRESHOLD, day, -1, 0, -1));
                bucket.apply(new OutcomeChange(groups, score, IntervalClaims.THRESHOLD, day, y, 1, 3_600));
                labelled.add(
                        new SubjectStudies.Study(study++, day, score, y, score >= IntervalClaims.THRESHOLD, groups));
            }
            if (patientWise && studies > 1) {
                // Labels of one patient arrive in any order; the pairs do not depend on it.
                Collections.shuffle(labelled, new java.util.Random(random.nextLong()));
                SubjectStudies subject = new SubjectStudies();
                for (SubjectStudies.Study s : labelled) {
                    for (StudyPairChange c : subject.add(s, PAIRING_WINDOW)) {
                        days.computeIfAbsent(c.laterDay(), d -> new OutcomeAggregate())
                                .apply(c);
                    }
                }
            }
        }
        return STAGE.snapshots(GROUP, days, DAY, 0);
    }

    private static boolean covers(List<MetricSnapshot> snapshots, Metric metric, double truth) {
        MetricSnapshot s = snapshots.stream()
                .filter(x -> x.metric().equals(metric.name) && x.window().equals(WINDOW_DAYS + "d"))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + metric.name + " snapshot"));
        if (s.lower() == null || s.upper() == null) {
            throw new IllegalStateException(metric.name + " without an interval: " + s);
        }
        return s.lower() <= truth && truth <= s.upper();
    }
}
