package io.vigil.verification;

import io.vigil.aggregates.DriftAggregate;
import io.vigil.stats.DistributionDrift;
import io.vigil.stats.ReferenceDistribution;
import io.vigil.stats.ValueHistogram;
import io.vigil.verification.Claim.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Null false-positive rates and power of the drift p-values, through the histograms the topology keeps: a
 * reference histogram of n draws turned into a {@link ReferenceDistribution} over its deciles, as a slice's
 * baseline or a burn-in reference is, against a window histogram of n draws from the same distribution
 * built as seven daily histograms merged, as a 7-day window is; then {@link DistributionDrift#compare}. A
 * trial succeeds when p ≥ 0.05; nominal 0.95, so the false-positive rate is 1 − measured. Scores use the
 * score histogram (at most {@value DistributionDrift#MAX_BUCKETS} buckets), features the feature histogram
 * (at most {@value DriftAggregate#FEATURE_MAX_BUCKETS}). Data: scores ~ Beta(2, 5), features ~ 60 + 40
 * Beta(3, 3). Histograms are deterministic, so these rows reproduce bit for bit from their seed.
 */
public final class DriftClaims {
    private static final int DAYS = 7;
    /**
     * The shift of the power rows, in reference standard deviations: 0.3 sd moves a normal variable's PSI
     * over its deciles to about 0.1, the smallest shift the drift rules act on ({@code min_estimate}).
     */
    static final double SHIFT_SD = 0.3;

    private DriftClaims() {}

    /** Every drift claim, in table order. */
    public static List<Claim> all() {
        return claims(new int[] {1_000, 20_000, 200_000, 1_000_000});
    }

    /** The null-rate claims up to 20,000 per side, for CI (200,000 takes tens of ms per trial). */
    public static List<Claim> reduced() {
        return claims(new int[] {1_000, 20_000}).stream()
                .filter(c -> c.status() == Status.CLAIMED)
                .toList();
    }

    private static List<Claim> claims(int[] sizes) {
        List<Claim> claims = new ArrayList<>();
        for (int n : sizes) {
            claims.add(nullRate(
                    "score KS p-value", n, DistributionDrift.MAX_BUCKETS, false, DistributionDrift.Report::ksPValue));
            claims.add(nullRate(
                    "score PSI p-value", n, DistributionDrift.MAX_BUCKETS, false, DistributionDrift.Report::psiPValue));
            claims.add(nullRate(
                    "feature KS p-value",
                    n,
                    DriftAggregate.FEATURE_MAX_BUCKETS,
                    true,
                    DistributionDrift.Report::ksPValue));
            claims.add(nullRate(
                    "feature PSI p-value",
                    n,
                    DriftAggregate.FEATURE_MAX_BUCKETS,
                    true,
                    DistributionDrift.Report::psiPValue));
        }
        for (int n : new int[] {1_000, 5_000, 20_000}) {
            claims.add(power(
                    "score KS p-value", n, DistributionDrift.MAX_BUCKETS, false, DistributionDrift.Report::ksPValue));
            claims.add(power(
                    "score PSI p-value", n, DistributionDrift.MAX_BUCKETS, false, DistributionDrift.Report::psiPValue));
            claims.add(power(
                    "feature KS p-value",
                    n,
                    DriftAggregate.FEATURE_MAX_BUCKETS,
                    true,
                    DistributionDrift.Report::ksPValue));
            claims.add(power(
                    "feature PSI p-value",
                    n,
                    DriftAggregate.FEATURE_MAX_BUCKETS,
                    true,
                    DistributionDrift.Report::psiPValue));
        }
        return claims;
    }

    /**
     * Power, not a claim: the share of windows whose p-value is below 0.001 (the drift rules' max_p) when
     * the window's values are shifted by {@link #SHIFT_SD} of the reference's standard deviation.
     */
    static Claim power(
            String what, int n, int buckets, boolean feature, ToDoubleFunction<DistributionDrift.Report> pValue) {
        double sd = feature ? 40 * Math.sqrt(9.0 / (36 * 7)) : Math.sqrt(10.0 / (49 * 8));
        return new Claim(
                what + " < 0.001 after a " + SHIFT_SD + " sd shift (power)",
                String.format("n = %,d per side, at most %,d buckets", n, buckets),
                0.95,
                Status.KNOWN_SHORTFALL,
                random -> pValue.applyAsDouble(compare(random, n, buckets, feature, SHIFT_SD * sd)) < 0.001);
    }

    private static DistributionDrift.Report compare(
            SplittableRandom random, int n, int buckets, boolean feature, double shift) {
        ValueHistogram reference = new ValueHistogram(buckets);
        for (int i = 0; i < n; i++) {
            reference.update(draw(random, feature));
        }
        ValueHistogram window = new ValueHistogram(buckets);
        for (int d = 0; d < DAYS; d++) {
            ValueHistogram day = new ValueHistogram(buckets);
            int size = n / DAYS + (d < n % DAYS ? 1 : 0);
            for (int i = 0; i < size; i++) {
                day.update(draw(random, feature) + shift);
            }
            window.merge(day);
        }
        return DistributionDrift.compare(
                ReferenceDistribution.fromHistogram(reference, DriftAggregate.BINS), window, 0.05);
    }

    static Claim nullRate(
            String what, int n, int buckets, boolean feature, ToDoubleFunction<DistributionDrift.Report> pValue) {
        return new Claim(
                what + " ≥ 0.05 under no change (1 − false-positive rate)",
                String.format("n = %,d per side, at most %,d buckets", n, buckets),
                0.95,
                Status.CLAIMED,
                random -> pValue.applyAsDouble(compare(random, n, buckets, feature, 0.0)) >= 0.05);
    }

    private static double draw(SplittableRandom random, boolean feature) {
        return feature ? 60 + 40 * Draws.beta(random, 3, 3) : Draws.beta(random, 2, 5);
    }
}
