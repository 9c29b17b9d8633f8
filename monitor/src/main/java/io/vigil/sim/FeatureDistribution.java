package io.vigil.sim;

import java.util.List;

/**
 * The distribution of one numeric feature (an acquisition or image-quality measure such as
 * {@code kvp}, {@code slice_thickness_mm} or {@code snr}) on one scanner.
 *
 * <ul>
 *   <li>{@code normal}: {@code mean}, {@code sd}, optionally clamped to [{@code min}, {@code max}];</li>
 *   <li>{@code lognormal}: {@code median}, {@code sigma} (of the log), optionally clamped;</li>
 *   <li>{@code uniform}: [{@code min}, {@code max});</li>
 *   <li>{@code choice}: one of {@code values} with {@code weights} (equal weights when absent).</li>
 * </ul>
 * Values are rounded to {@code decimals} places (default 3). With probability {@code missing} the
 * feature is left out of the prediction (a missing measurement).
 */
public record FeatureDistribution(
        String distribution,
        Double mean,
        Double sd,
        Double median,
        Double sigma,
        Double min,
        Double max,
        List<Double> values,
        List<Double> weights,
        Integer decimals,
        Double missing) {

    public FeatureDistribution {
        Checks.text(distribution, "feature.distribution");
        switch (distribution) {
            case "normal" -> {
                require(mean, "mean");
                Checks.nonNegative(require(sd, "sd"), "feature.sd");
            }
            case "lognormal" -> {
                Checks.positive(require(median, "median"), "feature.median");
                Checks.nonNegative(require(sigma, "sigma"), "feature.sigma");
            }
            case "uniform" -> {
                if (!(require(min, "min") <= require(max, "max"))) {
                    throw new IllegalArgumentException("feature.min must be <= feature.max, was " + min + " > " + max);
                }
            }
            case "choice" -> {
                Checks.nonEmpty(values, "feature.values");
                if (weights != null && weights.size() != values.size()) {
                    throw new IllegalArgumentException("feature.weights must have one weight per value ("
                            + values.size() + "), had " + weights.size());
                }
            }
            default ->
                throw new IllegalArgumentException(
                        "feature.distribution must be one of normal, lognormal, uniform, choice, was " + distribution);
        }
        values = values == null ? null : List.copyOf(values);
        weights = weights == null ? null : List.copyOf(weights);
        if (decimals == null) {
            decimals = 3;
        } else if (decimals < 0 || decimals > 9) {
            throw new IllegalArgumentException("feature.decimals must be in [0,9], was " + decimals);
        }
        if (missing == null) {
            missing = 0.0;
        }
        Checks.unit(missing, "feature.missing");
    }

    private static double require(Double v, String name) {
        if (v == null) {
            throw new IllegalArgumentException("feature." + name + " is required for this distribution");
        }
        return Checks.finite(v, "feature." + name);
    }

    /** A normal distribution (convenience for code-built scenarios). */
    public static FeatureDistribution normal(double mean, double sd, int decimals) {
        return new FeatureDistribution("normal", mean, sd, null, null, null, null, null, null, decimals, 0.0);
    }

    /**
     * Draws one value from three uniforms in [0,1); {@code NaN} means missing. Always consumes the
     * same three draws so a changed distribution does not shift later random numbers.
     */
    double sample(double uMissing, double u1, double u2) {
        if (uMissing < missing) {
            return Double.NaN;
        }
        double x = switch (distribution) {
            case "normal" -> mean + sd * Rng.gaussian(u1, u2);
            case "lognormal" -> median * StrictMath.exp(sigma * Rng.gaussian(u1, u2));
            case "uniform" -> min + (max - min) * u1;
            case "choice" -> values.get(pick(u1));
            default -> throw new IllegalStateException(distribution);
        };
        if (min != null && x < min) {
            x = min;
        }
        if (max != null && x > max) {
            x = max;
        }
        return Rng.round(x, decimals);
    }

    private int pick(double u) {
        if (weights == null) {
            return Math.min(values.size() - 1, (int) (u * values.size()));
        }
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        double target = u * total;
        double acc = 0;
        for (int i = 0; i < weights.size(); i++) {
            acc += weights.get(i);
            if (target < acc) {
                return i;
            }
        }
        return weights.size() - 1;
    }
}
