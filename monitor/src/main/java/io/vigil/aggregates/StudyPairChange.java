package io.vigil.aggregates;

import io.vigil.stats.StudyPair;
import java.util.List;
import java.util.Objects;

/**
 * One pair of labelled studies of one subject added ({@code sign} +1) or retracted (-1, a label revision
 * replaced one of them), for every slice both studies belong to; emitted by the subject pairing
 * ({@code io.vigil.stages.RepeatStudies}) and kept in the bucket of the later cohort day with the earlier one,
 * so that a window counts the pair only when it holds both studies.
 *
 * @param groups     the slices both studies belong to
 * @param laterDay   the later study's cohort day (UTC epoch day; the bucket)
 * @param earlierDay the earlier study's cohort day (equal when both are of one day)
 * @param pair       the two studies' scores, labels and decisions
 * @param sign       +1 or -1
 */
public record StudyPairChange(List<String> groups, long laterDay, long earlierDay, StudyPair pair, int sign)
        implements LabelledEvent {
    public StudyPairChange {
        groups = List.copyOf(groups);
        Objects.requireNonNull(pair, "pair");
        if (earlierDay > laterDay) {
            throw new IllegalArgumentException("earlier day " + earlierDay + " after later day " + laterDay);
        }
        if (sign != 1 && sign != -1) {
            throw new IllegalArgumentException("sign must be -1 or +1, got " + sign);
        }
    }

    @Override
    public long bucketDay() {
        return laterDay;
    }
}
