package io.vigil.sim;

import java.util.List;

/**
 * How and when ground truth arrives for a prediction.
 *
 * <p>A prediction is verified with probability {@code coverage.predicted_positive} or
 * {@code coverage.predicted_negative} depending on its decision at the model threshold (verification
 * bias). A verified prediction gets one label from a source drawn by the per-class weights of
 * {@code sources}, observed after a log-normal delay of that source, capped at
 * {@code max_delay_days}. With probability {@code revision_fraction} the first label (revision 0) is
 * wrong and a correction (revision 1, source {@code revision_source}) follows after
 * {@code revision_delay}. Labels equal the subject's true status except for such wrong revision 0s.
 *
 * @param coverage          probability of verification by predicted class
 * @param sources           where labels come from, with per-class weights and delays
 * @param revisionFraction  fraction of labels corrected later, in [0,1]
 * @param revisionDelay     delay of the correction after the first label
 * @param revisionSource    the {@code source} of corrections; default {@code adjudication}
 * @param maxDelayDays      upper bound of any label delay in days; default 180
 */
public record LabelModel(
        Coverage coverage,
        List<Source> sources,
        double revisionFraction,
        DelayDays revisionDelay,
        String revisionSource,
        Double maxDelayDays) {

    /** Verification probability for predicted positives and predicted negatives. */
    public record Coverage(double predictedPositive, double predictedNegative) {
        public Coverage {
            Checks.unit(predictedPositive, "labels.coverage.predicted_positive");
            Checks.unit(predictedNegative, "labels.coverage.predicted_negative");
        }
    }

    /**
     * One source of ground truth.
     *
     * @param source                    the {@code source} field of its labels, e.g. {@code pathology}
     * @param weightPredictedPositive   relative share among verified predicted positives
     * @param weightPredictedNegative   relative share among verified predicted negatives
     * @param delay                     the delay between prediction and label
     */
    public record Source(
            String source, double weightPredictedPositive, double weightPredictedNegative, DelayDays delay) {
        public Source {
            Checks.text(source, "labels.sources.source");
            Checks.nonNegative(weightPredictedPositive, "labels.sources.weight_predicted_positive");
            Checks.nonNegative(weightPredictedNegative, "labels.sources.weight_predicted_negative");
            if (delay == null) {
                throw new IllegalArgumentException("labels.sources.delay is required for " + source);
            }
        }
    }

    /** A log-normal delay in days: {@code median · exp(sigma · N(0,1))}. */
    public record DelayDays(double median, double sigma) {
        public DelayDays {
            Checks.positive(median, "delay.median");
            Checks.nonNegative(sigma, "delay.sigma");
        }

        /** The delay in milliseconds for a standard normal draw {@code g}. */
        long millis(double g, double capDays) {
            double days = Math.min(capDays, median * StrictMath.exp(sigma * g));
            return Math.round(days * 86_400_000.0);
        }
    }

    public LabelModel {
        if (coverage == null) {
            throw new IllegalArgumentException("labels.coverage is required");
        }
        sources = List.copyOf(Checks.nonEmpty(sources, "labels.sources"));
        double pos = 0;
        double neg = 0;
        for (Source s : sources) {
            pos += s.weightPredictedPositive();
            neg += s.weightPredictedNegative();
        }
        if (!(pos > 0 && neg > 0)) {
            throw new IllegalArgumentException(
                    "labels.sources weights must be positive for each predicted class, were " + pos + " and " + neg);
        }
        Checks.unit(revisionFraction, "labels.revision_fraction");
        if (revisionDelay == null) {
            revisionDelay = new DelayDays(14, 0.5);
        }
        if (revisionSource == null) {
            revisionSource = "adjudication";
        }
        if (maxDelayDays == null) {
            maxDelayDays = 180.0;
        }
        Checks.positive(maxDelayDays, "labels.max_delay_days");
    }

    /** The source for a uniform draw {@code u} among the sources of the given predicted class. */
    Source pickSource(boolean predictedPositive, double u) {
        double total = 0;
        for (Source s : sources) {
            total += predictedPositive ? s.weightPredictedPositive() : s.weightPredictedNegative();
        }
        double target = u * total;
        double acc = 0;
        Source last = null;
        for (Source s : sources) {
            double w = predictedPositive ? s.weightPredictedPositive() : s.weightPredictedNegative();
            if (w > 0) {
                last = s;
                acc += w;
                if (target < acc) {
                    return s;
                }
            }
        }
        return last;
    }
}
