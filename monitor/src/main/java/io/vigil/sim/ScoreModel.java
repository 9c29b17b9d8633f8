package io.vigil.sim;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a scanner's studies turn into model scores: an equal-variance binormal latent variable mapped
 * through a logistic calibration curve.
 *
 * <p>For a study with true label {@code y}, the latent image evidence is {@code z ~ N(separation·y, 1)}
 * (after a software update, {@code z + latent_shift}). A perfectly calibrated model for a population
 * with prevalence {@code prior} would output the posterior
 * {@code L = logit(prior) + separation·z − separation²/2} on the logit scale. The simulated model
 * outputs {@code score = σ(calibration.intercept + calibration.slope · L)}: intercept 0 and slope 1
 * give a calibrated score, a positive intercept over-predicts risk, a slope above 1 gives too extreme
 * scores and a slope below 1 too moderate ones. The AUC is {@code Φ(separation/√2)} whatever the
 * calibration.
 *
 * @param separation  latent mean of positives in units of the latent SD (d'); {@code > 0}
 * @param prior       the prevalence the model was calibrated for, in (0,1); {@code null} means the
 *                    scenario's initial prevalence. A prevalence change makes the score miscalibrated
 *                    in the large, as it does for a real model.
 * @param calibration the recalibration curve applied to the posterior logit
 */
public record ScoreModel(double separation, Double prior, Calibration calibration) {

    /** Logistic recalibration {@code intercept + slope · logit}; identity = {@code (0, 1)}. */
    public record Calibration(double intercept, double slope) {
        /** The identity curve: a calibrated model. */
        public static final Calibration IDENTITY = new Calibration(0.0, 1.0);

        @JsonCreator
        public Calibration(@JsonProperty("intercept") Double intercept, @JsonProperty("slope") Double slope) {
            this(intercept == null ? 0.0 : intercept.doubleValue(), slope == null ? 1.0 : slope.doubleValue());
        }

        public Calibration {
            Checks.finite(intercept, "calibration.intercept");
            Checks.finite(slope, "calibration.slope");
        }
    }

    public ScoreModel {
        if (!(separation > 0.0 && separation < 20.0)) {
            throw new IllegalArgumentException("score_model.separation must be in (0,20), was " + separation);
        }
        if (prior != null) {
            Checks.openUnit(prior, "score_model.prior");
        }
        if (calibration == null) {
            calibration = Calibration.IDENTITY;
        }
    }

    /** This model with {@code prior} filled in when it was left out. */
    ScoreModel withDefaultPrior(double defaultPrior) {
        return prior != null ? this : new ScoreModel(separation, defaultPrior, calibration);
    }

    /** The score for latent evidence {@code z} (shift already applied); needs {@link #prior()} set. */
    double score(double z) {
        double p = prior;
        double posteriorLogit = StrictMath.log(p / (1.0 - p)) + separation * z - 0.5 * separation * separation;
        double logit = calibration.intercept() + calibration.slope() * posteriorLogit;
        return 1.0 / (1.0 + StrictMath.exp(-logit));
    }
}
