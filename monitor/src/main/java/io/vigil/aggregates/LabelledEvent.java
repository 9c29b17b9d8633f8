package io.vigil.aggregates;

import java.util.List;

/**
 * What the performance stage folds into its daily {@link OutcomeAggregate}s: an outcome change of one study
 * ({@link OutcomeChange}) or a change to the within-subject pairs of two studies ({@link StudyPairChange}).
 */
public sealed interface LabelledEvent permits OutcomeChange, StudyPairChange {
    /** {@code model|version|dimension|value} of every slice the event counts in. */
    List<String> groups();

    /** The UTC epoch day of the bucket it goes to. */
    long bucketDay();
}
