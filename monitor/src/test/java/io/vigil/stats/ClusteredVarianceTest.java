package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Patient-wise (cluster-robust) variances from within-subject {@link StudyPair}s, each checked against a
 * brute-force computation over explicit clusters of studies: the cluster sums Σ_c (Σ_{i∈c} e_i)² are taken
 * directly from the clusters, never from pairs, so a wrong pair expansion (a missing factor 2, a residual
 * taken from the wrong study, a pair counted outside its metric's denominator, a wrong normaliser in
 * Obuchowski's AUC variance) shows up as a mismatch. Covers the proportions' design effect, the Wilson
 * interval at the effective n, the Brier score, the observed/expected ratio and the AUC.
 */
class ClusteredVarianceTest {

    private static final double Z = 1.959963984540054;
    private static final double THRESHOLD = 0.5;

    private record Study(double score, int label) {
        boolean positive() {
            return score >= THRESHOLD;
        }
    }

    private static Study s(double score, int label) {
        return new Study(score, label);
    }

    /** 14 subjects of 1 to 4 studies; scores distinct with 5 decimals, outcomes alike within most subjects. */
    private static final List<List<Study>> CLUSTERS = List.of(
            List.of(s(0.91234, 1), s(0.88765, 1), s(0.93456, 1), s(0.86543, 1)),
            List.of(s(0.12345, 0), s(0.15678, 0), s(0.09876, 0)),
            List.of(s(0.34567, 1), s(0.29876, 1), s(0.41234, 1)),
            List.of(s(0.67891, 0), s(0.72345, 0)),
            List.of(s(0.55555, 1), s(0.23456, 0)),
            List.of(s(0.81234, 1)),
            List.of(s(0.05432, 0), s(0.07654, 0), s(0.03456, 0), s(0.11111, 0)),
            List.of(s(0.61234, 1), s(0.58765, 1), s(0.44444, 1)),
            List.of(s(0.38765, 0), s(0.47654, 0), s(0.52345, 1), s(0.26789, 0)),
            List.of(s(0.76543, 0), s(0.69876, 0), s(0.83456, 1)),
            List.of(s(0.18765, 0)),
            List.of(s(0.31234, 1), s(0.27654, 1), s(0.21098, 0), s(0.36789, 1)),
            List.of(s(0.95678, 1), s(0.97654, 1), s(0.49876, 0)),
            List.of(s(0.14321, 1), s(0.62345, 0)));

    private static List<Study> all(List<List<Study>> clusters) {
        return clusters.stream().flatMap(List::stream).toList();
    }

    /** Every within-subject pair i < j, count 1. */
    private static List<ClusteredVariance.Counted> pairs(List<List<Study>> clusters) {
        List<ClusteredVariance.Counted> pairs = new ArrayList<>();
        for (List<Study> c : clusters) {
            for (int i = 0; i < c.size(); i++) {
                for (int j = i + 1; j < c.size(); j++) {
                    Study a = c.get(i);
                    Study b = c.get(j);
                    pairs.add(new ClusteredVariance.Counted(
                            StudyPair.of(a.score(), a.label(), a.positive(), b.score(), b.label(), b.positive()), 1));
                }
            }
        }
        return pairs;
    }

    private static boolean counts(ClusteredVariance.Proportion p, Study s) {
        return switch (p) {
            case SENSITIVITY -> s.label() == 1;
            case SPECIFICITY -> s.label() == 0;
            case PPV -> s.positive();
            case NPV -> !s.positive();
            case PREVALENCE -> true;
        };
    }

    private static boolean success(ClusteredVariance.Proportion p, Study s) {
        return switch (p) {
            case SENSITIVITY -> s.positive();
            case SPECIFICITY -> !s.positive();
            case PPV, PREVALENCE -> s.label() == 1;
            case NPV -> s.label() == 0;
        };
    }

    @ParameterizedTest
    @EnumSource(ClusteredVariance.Proportion.class)
    void shouldEqualClusterSumsOverBinomialVarianceWhenOutcomesCorrelateWithinSubjects(
            ClusteredVariance.Proportion proportion) {
        long k = 0;
        long n = 0;
        for (Study s : all(CLUSTERS)) {
            if (counts(proportion, s)) {
                n++;
                k += success(proportion, s) ? 1 : 0;
            }
        }
        double p = (double) k / n;
        double clustered = 0;
        for (List<Study> c : CLUSTERS) {
            double sum = 0;
            for (Study s : c) {
                if (counts(proportion, s)) {
                    sum += (success(proportion, s) ? 1 : 0) - p;
                }
            }
            clustered += sum * sum;
        }
        double expected = clustered / (n * p * (1 - p));
        assertThat(expected)
                .as("data must correlate positively within subjects")
                .isGreaterThan(1.2);

        assertThat(ClusteredVariance.designEffect(proportion, k, n, pairs(CLUSTERS)))
                .isCloseTo(expected, within(1e-12));
        assertThat(ClusteredVariance.designEffect(proportion, k, n, List.of())).isEqualTo(1.0);
    }

    @Test
    void shouldFloorDesignEffectAtOneWhenOutcomesAnticorrelateWithinSubjects() {
        // Three subjects each with one positive and one negative study: Σ_c (Σ (y - 1/2))² = 0.
        List<List<Study>> clusters =
                List.of(List.of(s(0.9, 1), s(0.8, 0)), List.of(s(0.3, 1), s(0.2, 0)), List.of(s(0.7, 1), s(0.1, 0)));
        double d = ClusteredVariance.designEffect(ClusteredVariance.Proportion.PREVALENCE, 3, 6, pairs(clusters));
        assertThat(d).isEqualTo(1.0);
    }

    @Test
    void shouldIgnorePairsWhenCountIsZeroOrNegative() {
        List<ClusteredVariance.Counted> pairs = pairs(CLUSTERS);
        List<ClusteredVariance.Counted> withRetracted = new ArrayList<>(pairs);
        StudyPair tp = StudyPair.of(0.91234, 1, true, 0.88765, 1, true);
        StudyPair fn = StudyPair.of(0.34567, 1, false, 0.29876, 1, false);
        withRetracted.add(new ClusteredVariance.Counted(tp, 0));
        withRetracted.add(new ClusteredVariance.Counted(fn, -3));
        for (ClusteredVariance.Proportion p : ClusteredVariance.Proportion.values()) {
            assertThat(ClusteredVariance.designEffect(p, 13, 20, withRetracted))
                    .isEqualTo(ClusteredVariance.designEffect(p, 13, 20, pairs));
        }
        assertThat(ClusteredVariance.designEffect(
                        ClusteredVariance.Proportion.SENSITIVITY,
                        13,
                        20,
                        List.of(new ClusteredVariance.Counted(tp, 0), new ClusteredVariance.Counted(fn, -3))))
                .isEqualTo(1.0);
        assertThat(ClusteredVariance.brierCross(0.2, withRetracted))
                .isEqualTo(ClusteredVariance.brierCross(0.2, pairs));
        assertThat(ClusteredVariance.observedExpectedCross(1.1, withRetracted))
                .isEqualTo(ClusteredVariance.observedExpectedCross(1.1, pairs));
        RocHistogram roc = new RocHistogram();
        all(CLUSTERS).forEach(s -> roc.add(s.score(), s.label()));
        assertThat(roc.auc(withRetracted)).isEqualTo(roc.auc(pairs));
    }

    @Test
    void shouldUseWilsonFormulaAtEffectiveSampleSizeWhenDesignEffectGiven() {
        double z = 2.241402727604947;
        for (long[] kn : new long[][] {{0, 40}, {7, 40}, {23, 57}, {57, 57}, {1, 3}}) {
            long k = kn[0];
            long n = kn[1];
            assertThat(Wilson.interval(k, n, z, 1.0)).isEqualTo(Wilson.interval(k, n, z));
            for (double d : new double[] {1.0, 1.37, 2.5, 4.0}) {
                double m = n / d;
                double p = (double) k / n;
                double zz = z * z;
                double centre = (p + zz / (2 * m)) / (1 + zz / m);
                double half = z / (1 + zz / m) * Math.sqrt(p * (1 - p) / m + zz / (4 * m * m));
                Estimate e = Wilson.interval(k, n, z, d);
                assertThat(e.value()).isEqualTo(p);
                assertThat(e.n()).isEqualTo(n);
                assertThat(e.lower()).isCloseTo(centre - half, within(1e-12));
                assertThat(e.upper()).isCloseTo(centre + half, within(1e-12));
            }
            Estimate wide = Wilson.interval(k, n, z, 2.0);
            Estimate plain = Wilson.interval(k, n, z);
            assertThat(wide.upper() - wide.lower()).isGreaterThan(plain.upper() - plain.lower());
        }
    }

    @Test
    void shouldRejectDesignEffectWhenBelowOne() {
        for (double d : new double[] {0.999, 0.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> Wilson.interval(3, 10, Z, d)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void shouldWidenBrierIntervalToClusterSumsWhenSquaredErrorsCorrelateWithinSubjects() {
        CalibrationStats stats = new CalibrationStats();
        List<Study> studies = all(CLUSTERS);
        studies.forEach(s -> stats.add(s.score(), s.label()));
        int n = studies.size();
        double mean = studies.stream()
                        .mapToDouble(s -> (s.score() - s.label()) * (s.score() - s.label()))
                        .sum()
                / n;
        double clustered = 0;
        for (List<Study> c : CLUSTERS) {
            double sum = 0;
            for (Study s : c) {
                sum += (s.score() - s.label()) * (s.score() - s.label()) - mean;
            }
            clustered += sum * sum;
        }
        double expectedHalf = Z * Math.sqrt(clustered / ((n - 1.0) * n));

        Estimate independent = stats.brier();
        Estimate e = stats.brier(ClusteredVariance.brierCross(independent.value(), pairs(CLUSTERS)));
        assertThat(expectedHalf).isGreaterThan((independent.upper() - independent.lower()) / 2 * 1.1);
        assertThat(e.lower()).isGreaterThan(0.0);
        assertThat(e.upper()).isLessThan(1.0);
        assertThat(e.value()).isCloseTo(mean, within(1e-8));
        assertThat((e.upper() - e.lower()) / 2).isCloseTo(expectedHalf, within(1e-8));
        assertThat(stats.brier(0.0)).isEqualTo(independent);
    }

    @Test
    void shouldAddTwiceWithinSubjectCrossProductsToObservedVarianceWhenRatioIsEstimated() {
        CalibrationStats stats = new CalibrationStats();
        all(CLUSTERS).forEach(s -> stats.add(s.score(), s.label()));
        Estimate independent = stats.observedExpectedRatio();
        double ratio = independent.value();
        long observed = stats.observed();
        double independentHalf = (Math.log(independent.upper()) - Math.log(independent.lower())) / 2;
        double v = Math.pow(independentHalf * observed / Z, 2);

        // Σ_{i<j in c} e_i e_j = ((Σ_c e)² - Σ e²) / 2, from the cluster sums, e = y - R p.
        double cross = 0;
        for (List<Study> c : CLUSTERS) {
            double sum = 0;
            double squares = 0;
            for (Study s : c) {
                double r = s.label() - ratio * s.score();
                sum += r;
                squares += r * r;
            }
            cross += (sum * sum - squares) / 2;
        }
        assertThat(cross)
                .as("residuals must correlate positively within subjects")
                .isGreaterThan(0.5);

        Estimate e = stats.observedExpectedRatio(ClusteredVariance.observedExpectedCross(ratio, pairs(CLUSTERS)));
        double expectedHalf = Z * Math.sqrt(v + 2 * cross) / observed;
        assertThat(e.value()).isEqualTo(ratio);
        assertThat((Math.log(e.upper()) - Math.log(e.lower())) / 2).isCloseTo(expectedHalf, within(1e-9));
        assertThat(Math.log(e.upper()) - Math.log(ratio)).isCloseTo(expectedHalf, within(1e-9));
        assertThat(e.lower()).isLessThan(independent.lower());
        assertThat(e.upper()).isGreaterThan(independent.upper());
        assertThat(stats.observedExpectedRatio(-1e6)).isEqualTo(independent);
    }

    @Test
    void shouldMatchObuchowskiClusteredDelongVarianceWhenSubjectsHaveRepeatStudies() {
        List<Study> studies = all(CLUSTERS);
        List<Study> positives = studies.stream().filter(s -> s.label() == 1).toList();
        List<Study> negatives = studies.stream().filter(s -> s.label() == 0).toList();
        double pCount = positives.size();
        double nCount = negatives.size();
        double auc = 0;
        for (Study pos : positives) {
            auc += v10(pos, negatives) / pCount;
        }
        double s10 = 0;
        double s01 = 0;
        double s11 = 0;
        for (List<Study> c : CLUSTERS) {
            double sumPos = 0;
            double sumNeg = 0;
            for (Study s : c) {
                if (s.label() == 1) {
                    sumPos += v10(s, negatives) - auc;
                } else {
                    sumNeg += v01(s, positives) - auc;
                }
            }
            s10 += sumPos * sumPos;
            s01 += sumNeg * sumNeg;
            s11 += sumPos * sumNeg;
        }
        double expected = s10 / ((pCount - 1) * pCount) + s01 / ((nCount - 1) * nCount) + 2 * s11 / (pCount * nCount);

        RocHistogram roc = new RocHistogram();
        studies.forEach(s -> roc.add(s.score(), s.label()));
        AucEstimate independent = roc.auc();
        AucEstimate clustered = roc.auc(pairs(CLUSTERS));
        assertThat(expected).isGreaterThan(independent.variance() * 1.1);
        assertThat(clustered.auc().value()).isCloseTo(auc, within(1e-12));
        assertThat(clustered.variance()).isCloseTo(expected, within(1e-12 * expected));
        assertThat(clustered.auc().lower()).isLessThan(independent.auc().lower());
        assertThat(clustered.auc().upper()).isGreaterThan(independent.auc().upper());
        assertThat(clustered.auc().n()).isEqualTo(studies.size());
        assertThat(roc.auc(List.of())).isEqualTo(independent);
    }

    /** (negatives scored lower + half the ties) / N, by direct comparison. */
    private static double v10(Study positive, List<Study> negatives) {
        double below = 0;
        for (Study neg : negatives) {
            below += neg.score() < positive.score() ? 1 : neg.score() == positive.score() ? 0.5 : 0;
        }
        return below / negatives.size();
    }

    /** (positives scored higher + half the ties) / P, by direct comparison. */
    private static double v01(Study negative, List<Study> positives) {
        double above = 0;
        for (Study pos : positives) {
            above += pos.score() > negative.score() ? 1 : pos.score() == negative.score() ? 0.5 : 0;
        }
        return above / positives.size();
    }
}
