package io.vigil.stats;

/**
 * Two labelled studies of one subject (a patient's repeat studies), each with its score, label and decision
 * at its own threshold: the unit of the within-subject covariance in {@link ClusteredVariance}. Always in
 * canonical order ({@link #of}), so the pair a label revision retracts is equal to the pair it added.
 *
 * @param scoreA    the first study's score, in [0, 1]
 * @param labelA    its label, 0 or 1
 * @param positiveA whether it was predicted positive (score at or above its threshold)
 * @param scoreB    the second study's score
 * @param labelB    its label
 * @param positiveB its decision
 */
public record StudyPair(double scoreA, int labelA, boolean positiveA, double scoreB, int labelB, boolean positiveB)
        implements Comparable<StudyPair> {
    public StudyPair {
        Checks.checkScore(scoreA);
        Checks.checkScore(scoreB);
        Checks.checkLabel(labelA);
        Checks.checkLabel(labelB);
    }

    /** The pair of two studies in canonical order: by score, then label, then decision. */
    public static StudyPair of(
            double score1, int label1, boolean positive1, double score2, int label2, boolean positive2) {
        int c = compareStudies(score1, label1, positive1, score2, label2, positive2);
        return c <= 0
                ? new StudyPair(score1, label1, positive1, score2, label2, positive2)
                : new StudyPair(score2, label2, positive2, score1, label1, positive1);
    }

    private static int compareStudies(double s1, int l1, boolean p1, double s2, int l2, boolean p2) {
        int c = Double.compare(s1, s2);
        if (c == 0) {
            c = Integer.compare(l1, l2);
        }
        return c != 0 ? c : Boolean.compare(p1, p2);
    }

    /** Labels and decisions in four bits: label A, decision A, label B, decision B. */
    public int flags() {
        return labelA | (positiveA ? 2 : 0) | (labelB << 2) | (positiveB ? 8 : 0);
    }

    /** The pair of these scores and {@link #flags()}. */
    public static StudyPair fromFlags(double scoreA, double scoreB, int flags) {
        if (flags < 0 || flags > 15) {
            throw new IllegalArgumentException("study pair flags must be in [0, 15], got " + flags);
        }
        return new StudyPair(scoreA, flags & 1, (flags & 2) != 0, scoreB, (flags >> 2) & 1, (flags & 8) != 0);
    }

    @Override
    public int compareTo(StudyPair o) {
        int c = Double.compare(scoreA, o.scoreA);
        if (c == 0) {
            c = Double.compare(scoreB, o.scoreB);
        }
        return c != 0 ? c : Integer.compare(flags(), o.flags());
    }
}
