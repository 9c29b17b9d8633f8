package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SensitivityReferenceTest {

    /** Two cases: q = 0.2 predicted negative, q = 0.8 predicted positive (threshold 0.5). */
    private static ConfidenceBasedEstimate twoCases() {
        ConfidenceBasedEstimate e = new ConfidenceBasedEstimate(0.5, 1);
        e.add(0.2, 0.2);
        e.add(0.8, 0.8);
        return e;
    }

    @Test
    void shouldGiveTheReferenceSensitivityAndItsDeltaVarianceFromAProfilesHistogramAndFromABaselineAlike() {
        // a = (0, 0.8), b = (0.2, 0.8): S0 = 0.8 / 1.0 = 0.8; a - S0 b = (-0.16, 0.16): Var = 0.0256, / E[b]^2 = 0.25.
        ValueHistogram scores = DistributionDrift.newHistogram();
        scores.update(0.2);
        scores.update(0.8);
        SensitivityReference profile = SensitivityReference.ofProfile(scores, s -> s < 0.5 ? 0.2 : 0.8, 0.5, 2);
        SensitivityReference baseline = SensitivityReference.ofBaseline(twoCases());

        for (SensitivityReference r : new SensitivityReference[] {profile, baseline}) {
            assertThat(r.sensitivity()).isCloseTo(0.8, within(1e-9));
            assertThat(r.caseVariance()).isCloseTo(0.1024, within(1e-9));
            assertThat(r.n()).isEqualTo(2);
        }
    }

    @Test
    void shouldScaleAProfilesSumsToItsDeclaredCasesSoThatItWeighsAsMuchAsTheyDo() {
        ValueHistogram scores = DistributionDrift.newHistogram();
        scores.update(0.2);
        scores.update(0.8);
        SensitivityReference profile = SensitivityReference.ofProfile(scores, s -> s < 0.5 ? 0.2 : 0.8, 0.5, 1_000);
        ConfidenceBasedEstimate day = new ConfidenceBasedEstimate(0.5, 1);
        day.add(0.8, 0.8);
        day.add(0.3, 0.3);

        profile.pool(day);

        // pooled: Σa = 400 + 0.8, Σb = 500 + 1.1
        assertThat(profile.n()).isEqualTo(1_002);
        assertThat(profile.sensitivity()).isCloseTo(400.8 / 501.1, within(1e-9));
    }

    @Test
    void shouldScoreADayOnTheLogMissRateScaleAgainstThePool() {
        SensitivityReference r = SensitivityReference.ofBaseline(twoCases());
        ConfidenceBasedEstimate day = new ConfidenceBasedEstimate(0.5, 1);
        for (int i = 0; i < 20; i++) {
            day.add(0.8, 0.8);
            day.add(0.3, 0.3); // predicted negative: s = 16 / 22
        }

        // 40 cases at the pool's 0.5 expected positives a case: 20, enough for a step.
        // -(ln(1 - 16/22) - ln(0.2)) * 0.2 / sqrt(0.1024 (1/40 + 1/2)), and (16/22 - 0.8) / sqrt(...) before
        assertThat(r.innovation(day)).isCloseTo(-0.2675340426034711, within(1e-9));
        assertThat(r.innovationOnRawScale(day)).isCloseTo(-0.31366616333743386, within(1e-9));
    }

    @Test
    void shouldPoolADayAsIfItsCasesHadBeenInTheBaseline() {
        SplittableRandom random = new SplittableRandom(7);
        ConfidenceBasedEstimate baseline = new ConfidenceBasedEstimate(0.2, 1);
        ConfidenceBasedEstimate day = new ConfidenceBasedEstimate(0.2, 1);
        ConfidenceBasedEstimate both = new ConfidenceBasedEstimate(0.2, 1);
        for (int i = 0; i < 500; i++) {
            double s = random.nextDouble();
            (i < 300 ? baseline : day).add(s, s * s);
            both.add(s, s * s);
        }
        SensitivityReference pooled = SensitivityReference.ofBaseline(baseline);
        pooled.pool(day);
        SensitivityReference whole = SensitivityReference.ofBaseline(both);

        assertThat(pooled.n()).isEqualTo(500);
        assertThat(pooled.sensitivity()).isCloseTo(whole.sensitivity(), within(1e-9));
        assertThat(pooled.caseVariance()).isCloseTo(whole.caseVariance(), within(1e-9));
        assertThat(pooled.sensitivity()).isCloseTo(both.sensitivity().value(), within(1e-9));
    }

    @Test
    void shouldGiveNoStepForAnEmptyDayOrAPoolWhoseSensitivityIsOne() {
        SensitivityReference r = SensitivityReference.ofBaseline(twoCases());
        assertThat(r.innovation(new ConfidenceBasedEstimate(0.5, 1))).isNaN();

        ConfidenceBasedEstimate allPositive = new ConfidenceBasedEstimate(0.5, 1);
        allPositive.add(0.9, 0.9);
        allPositive.add(0.7, 0.6);
        assertThat(SensitivityReference.ofBaseline(allPositive).innovation(twoCases()))
                .isNaN();
        assertThat(SensitivityReference.ofBaseline(new ConfidenceBasedEstimate(0.5, 1))
                        .innovation(twoCases()))
                .isNaN();
    }

    /**
     * Why the log miss-rate scale: 20,000 days of 200 cases (25 expected positives) of a screening model (sensitivity
     * 0.76, 20% positive decisions) through the production estimate, each scored against the model's exact reference.
     * On the raw scale the steps are biased and skewed (mean -0.10, skewness -0.48); on the log miss-rate scale close
     * to N(0, 1) (mean -0.01, variance 1.01, skewness 0.02).
     */
    @Test
    void shouldScoreDaysCloseToStandardNormalWhereTheRawScaleIsSkewed() {
        SplittableRandom random = new SplittableRandom(20261205);
        ConfidenceBasedEstimate big = new ConfidenceBasedEstimate(0.2, 1);
        for (int i = 0; i < 2_000_000; i++) {
            double s = score(random);
            big.add(s, s);
        }
        SensitivityReference exact = SensitivityReference.ofBaseline(big);
        double[] log = new double[3];
        double[] raw = new double[3];
        int days = 20_000;
        for (int d = 0; d < days; d++) {
            ConfidenceBasedEstimate day = new ConfidenceBasedEstimate(0.2, 1);
            for (int i = 0; i < 200; i++) {
                double s = score(random);
                day.add(s, s);
            }
            accumulate(log, exact.innovation(day));
            accumulate(raw, exact.innovationOnRawScale(day));
        }
        double[] logMoments = moments(log, days);
        double[] rawMoments = moments(raw, days);

        // SE of a mean of 20,000 unit-variance steps 0.007, of the variance ~0.01, of the skewness ~0.02
        assertThat(logMoments[0]).isCloseTo(0, within(0.035));
        assertThat(logMoments[1]).isCloseTo(1, within(0.05));
        assertThat(Math.abs(logMoments[2])).isLessThan(0.1);
        assertThat(rawMoments[0]).isLessThan(-0.06);
        assertThat(rawMoments[2]).isLessThan(-0.35);
    }

    @Test
    void shouldGiveNoStepForADayWithFewerThanTwentyExpectedPositivesAtThePoolsCaseMixButStillPoolIt() {
        // pool: 100 cases, Σq = 50 (half a positive a case); a day of 39 cases carries 19.5 expected positives, 40
        // carry 20
        ConfidenceBasedEstimate baseline = new ConfidenceBasedEstimate(0.5, 1);
        for (int i = 0; i < 50; i++) {
            baseline.add(0.8, 0.8);
            baseline.add(0.2, 0.2);
        }
        SensitivityReference r = SensitivityReference.ofBaseline(baseline);
        ConfidenceBasedEstimate small = new ConfidenceBasedEstimate(0.5, 1);
        ConfidenceBasedEstimate enough = new ConfidenceBasedEstimate(0.5, 1);
        for (int i = 0; i < 40; i++) {
            if (i < 39) {
                small.add(0.9, 0.9); // a day of high-risk cases: its own Σq would pass, the gate reads its volume
            }
            enough.add(i % 2 == 0 ? 0.8 : 0.2, i % 2 == 0 ? 0.8 : 0.2);
        }

        assertThat(r.innovation(small)).isNaN();
        assertThat(r.innovationOnRawScale(small)).isFinite();
        assertThat(r.innovation(enough)).isCloseTo(0, within(1e-9));
        r.pool(small);
        assertThat(r.n()).isEqualTo(139);
    }

    private static double score(SplittableRandom random) {
        double u = 1 - random.nextDouble();
        double z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
        return 1 / (1 + Math.exp(-(-3.5 + 2.5 * z)));
    }

    private static void accumulate(double[] sums, double x) {
        sums[0] += x;
        sums[1] += x * x;
        sums[2] += x * x * x;
    }

    /** {mean, variance, skewness}. */
    private static double[] moments(double[] sums, int n) {
        double mean = sums[0] / n;
        double var = sums[1] / n - mean * mean;
        double third = sums[2] / n - 3 * mean * sums[1] / n + 2 * mean * mean * mean;
        return new double[] {mean, var, third / Math.pow(var, 1.5)};
    }
}
