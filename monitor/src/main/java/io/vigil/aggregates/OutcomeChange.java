package io.vigil.aggregates;

import java.util.List;
import java.util.Objects;

/**
 * One change to the labelled aggregates, emitted by the outcome join ({@code OutcomeJoin}) and folded by
 * the performance stage ({@code Performance}) into the daily bucket of every group the prediction belongs to.
 *
 * <ul>
 *   <li>{@code sign == 0}: the prediction was registered (counted once in the coverage denominator
 *       of its cohort and predicted class); {@code label} is -1.</li>
 *   <li>{@code sign == +1}: an outcome (score, label) is added.</li>
 *   <li>{@code sign == -1}: a previously added outcome is retracted (a higher label revision
 *       replaced it); always followed by the {@code +1} of the new label.</li>
 * </ul>
 *
 * @param groups            {@code model|version|dimension|value} of every slice of the prediction
 * @param score             probability of the positive class, 0..1
 * @param threshold         deployed operating point: predicted positive iff score >= threshold
 * @param cohortDay         UTC epoch day of the prediction's event time
 * @param label             0 or 1, or -1 for a registration
 * @param sign              -1, 0 or +1 as above
 * @param labelDelaySeconds seconds from the prediction's event time to the first label's
 *                          {@code observed_at} (clamped at 0), or -1 when this change carries no
 *                          first label (registrations, retractions, revisions)
 * @param subject           the first 64 bits of the HMAC of the prediction's {@code subject_key}
 *                          ({@code io.vigil.stages.RepeatStudies#subjectId}), or {@link #NO_SUBJECT}: what
 *                          pairs a patient's repeat studies for patient-wise intervals, never the key itself
 * @param labelAgeSeconds   for an outcome added or retracted: seconds from the prediction's event time to the
 *                          {@code observed_at} of the first label Vigil received for it (clamped at 0; a revision
 *                          keeps it), which decides whether the case is in its cohort's labels at the outcome
 *                          CUSUM's label age; -1 for a registration (or unknown)
 */
public record OutcomeChange(
        List<String> groups,
        double score,
        double threshold,
        long cohortDay,
        int label,
        int sign,
        long labelDelaySeconds,
        long subject,
        long labelAgeSeconds)
        implements LabelledEvent {
    /** A change whose label age is its first-label delay (a first label's), or unknown. */
    public OutcomeChange(
            List<String> groups,
            double score,
            double threshold,
            long cohortDay,
            int label,
            int sign,
            long labelDelaySeconds,
            long subject) {
        this(
                groups,
                score,
                threshold,
                cohortDay,
                label,
                sign,
                labelDelaySeconds,
                subject,
                sign == 0 ? -1 : labelDelaySeconds);
    }

    /** A change of a prediction without a subject key. */
    public OutcomeChange(
            List<String> groups,
            double score,
            double threshold,
            long cohortDay,
            int label,
            int sign,
            long labelDelaySeconds) {
        this(groups, score, threshold, cohortDay, label, sign, labelDelaySeconds, NO_SUBJECT);
    }

    /** {@link #subject} of a prediction without a subject key (or read from a store of an earlier version). */
    public static final long NO_SUBJECT = 0L;

    public OutcomeChange {
        Objects.requireNonNull(groups, "groups");
        groups = List.copyOf(groups);
        if (sign < -1 || sign > 1) {
            throw new IllegalArgumentException("sign must be -1, 0 or +1, got " + sign);
        }
        if (sign != 0 && label != 0 && label != 1) {
            throw new IllegalArgumentException("label must be 0 or 1 when sign != 0, got " + label);
        }
    }

    @Override
    public long bucketDay() {
        return cohortDay;
    }

    public boolean predictedPositive() {
        return score >= threshold;
    }
}
