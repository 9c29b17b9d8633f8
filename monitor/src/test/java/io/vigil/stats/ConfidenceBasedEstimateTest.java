package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ConfidenceBasedEstimateTest {

    @Test
    void shouldSumExpectedConfusionCountsWhenHandExample() {
        ConfidenceBasedEstimate e = new ConfidenceBasedEstimate(0.5, 10);
        e.add(0.9, 0.8);
        e.add(0.6, 0.6);
        e.add(0.3, 0.2);
        e.add(0.1, 0.1);
        // Sums are fixed point: each term rounded once to 2^-32 (error at most 1.2e-10 per term).

        assertThat(e.expectedTruePositives()).isCloseTo(1.4, within(1e-9));
        assertThat(e.expectedFalsePositives()).isCloseTo(0.6, within(1e-9));
        assertThat(e.expectedFalseNegatives()).isCloseTo(0.3, within(1e-9));
        assertThat(e.expectedTrueNegatives()).isCloseTo(1.7, within(1e-9));
        Estimate sens = e.sensitivity();
        assertThat(sens.value()).isCloseTo(1.4 / 1.7, within(1e-9));
        // Var(TP) = .16 + .24 = .40, Var(FN) = .16 + .09 = .25: (0.3² .40 + 1.4² .25) / 1.7⁴
        double sd = Math.sqrt((0.09 * 0.40 + 1.96 * 0.25) / Math.pow(1.7, 4));
        assertThat(sens.upper()).isEqualTo(1.0);
        assertThat(sens.lower()).isCloseTo(1.4 / 1.7 - Estimate.Z95 * sd, within(1e-9));
        assertThat(e.ppv().value()).isCloseTo(0.7, within(1e-9));
        assertThat(e.npv().value()).isCloseTo(0.85, within(1e-9));
        assertThat(e.ppv().n()).isEqualTo(2);
        // soft AUC over bins 1, 3, 6, 9: positives .1,.2,.6,.8; negatives .9,.8,.4,.2 (P = 1.7, N = 2.3);
        // each bin's positives beat the negatives below and half of those in their own bin
        double auc = (0.1 * 0.45 + 0.2 * (0.9 + 0.4) + 0.6 * (1.7 + 0.2) + 0.8 * (2.1 + 0.1)) / (1.7 * 2.3);
        assertThat(e.auc().value()).isCloseTo(auc, within(1e-9));
    }

    @Test
    void shouldBeEmptyWhenNoCases() {
        ConfidenceBasedEstimate e = new ConfidenceBasedEstimate(0.5);

        assertThat(e.sensitivity().isEmpty()).isTrue();
        assertThat(e.ppv().isEmpty()).isTrue();
        assertThat(e.auc().isEmpty()).isTrue();
    }

    /**
     * Labels drawn from Bernoulli(q), q the calibrated probability: the 95% interval for estimated
     * sensitivity should cover the realised sensitivity in about 95% of cohorts; 200 cohorts at
     * 95% give a mean of 190 and sd 3.1, so >= 180 (90%) fails only on a real defect.
     */
    @Test
    void shouldCoverRealisedSensitivityWhenLabelsDrawnFromCalibratedProbabilities() {
        int covered = 0;
        int ppvCovered = 0;
        for (int cohort = 0; cohort < 200; cohort++) {
            Random rnd = new Random(900 + cohort);
            ConfidenceBasedEstimate e = new ConfidenceBasedEstimate(0.4);
            long tp = 0;
            long fn = 0;
            long predPos = 0;
            for (int i = 0; i < 400; i++) {
                double score = 1 / (1 + Math.exp(-(rnd.nextGaussian() * 1.5 - 1.0)));
                double q = score; // a calibrated model
                boolean y = rnd.nextDouble() < q;
                e.add(score, q);
                boolean pos = score >= 0.4;
                predPos += pos ? 1 : 0;
                if (y && pos) {
                    tp++;
                } else if (y) {
                    fn++;
                }
            }
            double realised = (double) tp / (tp + fn);
            Estimate sens = e.sensitivity();
            covered += realised >= sens.lower() && realised <= sens.upper() ? 1 : 0;
            double realisedPpv = (double) tp / predPos;
            ppvCovered +=
                    realisedPpv >= e.ppv().lower() && realisedPpv <= e.ppv().upper() ? 1 : 0;
        }
        assertThat(covered).isGreaterThanOrEqualTo(180);
        assertThat(ppvCovered).isGreaterThanOrEqualTo(180);
    }

    @Test
    void shouldEqualSingleBatchWhenMergedOrSerialised() {
        Random rnd = new Random(4);
        ConfidenceBasedEstimate all = new ConfidenceBasedEstimate(0.5, 100);
        ConfidenceBasedEstimate a = new ConfidenceBasedEstimate(0.5, 100);
        ConfidenceBasedEstimate b = new ConfidenceBasedEstimate(0.5, 100);
        for (int i = 0; i < 1000; i++) {
            double s = rnd.nextDouble();
            double q = Math.min(1, s * 1.1);
            all.add(s, q);
            (i % 2 == 0 ? a : b).add(s, q);
        }
        ConfidenceBasedEstimate merged =
                ConfidenceBasedEstimate.fromBytes(a.merge(b).toBytes());

        assertThat(merged.n()).isEqualTo(1000);
        // Not close: the same bits, as two replays whose partials were flushed at other moments must give.
        assertThat(merged.toBytes()).isEqualTo(all.toBytes());
        assertThat(merged.sensitivity()).isEqualTo(all.sensitivity());
        assertThat(merged.specificity()).isEqualTo(all.specificity());
        assertThat(merged.auc()).isEqualTo(all.auc());
        assertThat(merged.withMapError(null, 0.5)).isEqualTo(all.withMapError(null, 0.5));
    }

    /** State written before the sums were fixed point (double sums, no format byte) still loads. */
    @Test
    void shouldReadTheDoubleSumFormWhenStateComesFromAnEarlierVersion() {
        int bins = 10;
        java.nio.ByteBuffer old = java.nio.ByteBuffer.allocate(8 + 4 + 16 + 48 + 16 * bins);
        old.putDouble(0.5).putInt(bins).putLong(2).putLong(2);
        // tp, fp, varPos, fn, tn, varNeg of the hand example above
        old.putDouble(1.4)
                .putDouble(0.6)
                .putDouble(0.4)
                .putDouble(0.3)
                .putDouble(1.7)
                .putDouble(0.25);
        double[][] perBin = new double[bins][2];
        perBin[9] = new double[] {0.8, 0.2};
        perBin[6] = new double[] {0.6, 0.4};
        perBin[3] = new double[] {0.2, 0.8};
        perBin[1] = new double[] {0.1, 0.9};
        for (double[] b : perBin) {
            old.putDouble(b[0]).putDouble(b[1]);
        }
        ConfidenceBasedEstimate e = ConfidenceBasedEstimate.fromDoubleSums(old.array());
        assertThat(e.n()).isEqualTo(4);
        assertThat(e.expectedTruePositives()).isCloseTo(1.4, within(1e-9));
        assertThat(e.sensitivity().value()).isCloseTo(1.4 / 1.7, within(1e-9));
        double auc = (0.1 * 0.45 + 0.2 * (0.9 + 0.4) + 0.6 * (1.7 + 0.2) + 0.8 * (2.1 + 0.1)) / (1.7 * 2.3);
        assertThat(e.auc().value()).isCloseTo(auc, within(1e-9));
        // and, once read, it is written in the current form
        assertThat(ConfidenceBasedEstimate.fromBytes(e.toBytes()).toBytes()).isEqualTo(e.toBytes());
    }

    /**
     * The label-free AUC's interval without the map's error is the realised AUC's spread given the scores: 2,000
     * scores with q = score, labels drawn 4,000 times, the sd of the realised (Mann-Whitney) AUC against the sd
     * the interval is built from. The formula's sd is within 10% of the simulated one (its Monte-Carlo error is
     * about 1%).
     */
    @Test
    void shouldGiveTheAucAnIntervalAsWideAsTheRealisedAucVariesWhenOnlyTheLabelsAreUnknown() {
        SplittableRandom random = new SplittableRandom(11);
        int n = 2_000;
        double[] scores = new double[n];
        ConfidenceBasedEstimate e = new ConfidenceBasedEstimate(0.5, 200);
        for (int i = 0; i < n; i++) {
            scores[i] = Math.pow(random.nextDouble(), 1.5);
            e.add(scores[i], scores[i]);
        }
        Estimate auc = e.withMapError(null, 0.5).auc();
        double a = auc.value();
        double sdFormula = (logit(auc.upper()) - logit(a)) * a * (1 - a) / Estimate.Z95;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(scores[x], scores[y]));
        double sum = 0;
        double sumSq = 0;
        int draws = 4_000;
        for (int d = 0; d < draws; d++) {
            long negativesBelow = 0;
            long positives = 0;
            double pairs = 0;
            for (int i : order) {
                if (random.nextDouble() < scores[i]) {
                    pairs += negativesBelow;
                    positives++;
                } else {
                    negativesBelow++;
                }
            }
            double realised = pairs / ((double) positives * (n - positives));
            sum += realised;
            sumSq += realised * realised;
        }
        double mean = sum / draws;
        double sdSimulated = Math.sqrt(sumSq / draws - mean * mean);

        assertThat(auc.lower()).isLessThan(a);
        assertThat(auc.upper()).isGreaterThan(a);
        assertThat(a).isCloseTo(mean, within(0.005));
        assertThat(sdFormula).isCloseTo(sdSimulated, within(0.1 * sdSimulated));
    }

    @Test
    void shouldWidenEveryIntervalByTheMapsErrorAndKeepTheLabelsOnlyIntervalsWithoutAMap() {
        SplittableRandom random = new SplittableRandom(5);
        ConfidenceBasedEstimate e = new ConfidenceBasedEstimate(0.5, 200);
        for (int i = 0; i < 1_000; i++) {
            double s = random.nextDouble();
            e.add(s, 0.1 + 0.6 * s);
        }
        // A reference of 50 cases per bin: its map's error is large next to 1,000 cases' labels.
        double[] x = {0.125, 0.375, 0.625, 0.875};
        CalibrationMapBootstrap map = CalibrationMapBootstrap.fit(
                x,
                new long[] {9, 18, 26, 33},
                new long[] {41, 32, 24, 17},
                200,
                CalibrationMapBootstrap.DEFAULT_REPLICATES);
        ConfidenceBasedEstimate.Estimates without = e.withMapError(null, 0.5);
        ConfidenceBasedEstimate.Estimates with = e.withMapError(map, 0.5);

        assertThat(without.sensitivity()).isEqualTo(e.sensitivity());
        assertThat(without.specificity()).isEqualTo(e.specificity());
        assertThat(without.ppv()).isEqualTo(e.ppv());
        assertThat(without.npv()).isEqualTo(e.npv());
        for (Estimate[] pair : new Estimate[][] {
            {without.sensitivity(), with.sensitivity()},
            {without.specificity(), with.specificity()},
            {without.ppv(), with.ppv()},
            {without.npv(), with.npv()},
            {without.auc(), with.auc()}
        }) {
            assertThat(pair[1].value()).isEqualTo(pair[0].value());
            assertThat(pair[1].upper() - pair[1].lower()).isGreaterThan(1.5 * (pair[0].upper() - pair[0].lower()));
        }
    }

    private static double logit(double p) {
        return Math.log(p / (1 - p));
    }
}
