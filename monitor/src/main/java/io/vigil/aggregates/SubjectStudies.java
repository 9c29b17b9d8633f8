package io.vigil.aggregates;

import io.vigil.stats.StudyPair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The labelled studies of one pseudonymous subject and model version, as the subject pairing
 * ({@code io.vigil.stages.RepeatStudies}) keeps them: adding a study pairs it with every study kept whose
 * cohort day is less than {@code windowDays} from its own (no window holds two studies further apart), for the
 * slices both belong to; removing one (a label revision) retracts those pairs. Pairs therefore do not depend
 * on the order in which a subject's labels arrive, up to {@link #MAX_STUDIES} studies per subject: beyond it the
 * study of the earliest cohort day is forgotten (its pairs already emitted stay), so a subject with more
 * studies than that within the longest window pairs only with the latest ones and its clustering is
 * understated. Mutable, not thread-safe.
 */
public final class SubjectStudies {
    /** Studies kept per subject and model version. */
    public static final int MAX_STUDIES = 64;

    private static final int FORMAT = 1;
    private static final Comparator<Study> OLDEST_FIRST =
            Comparator.comparingLong(Study::cohortDay).thenComparingLong(Study::id);

    /**
     * One labelled study.
     *
     * @param id        a 64-bit hash of its prediction id (what a revision's retraction finds it by)
     * @param cohortDay UTC epoch day of the prediction
     * @param score     its score
     * @param label     its label
     * @param positive  its decision at its own threshold
     * @param groups    the slices it counts in
     */
    public record Study(long id, long cohortDay, double score, int label, boolean positive, List<String> groups) {
        public Study {
            groups = List.copyOf(groups);
        }
    }

    private final List<Study> studies = new ArrayList<>();

    /** Adds a study (replacing one of the same id, whose pairs are retracted first); returns the pair changes. */
    public List<StudyPairChange> add(Study study, int windowDays) {
        Objects.requireNonNull(study, "study");
        List<StudyPairChange> changes = new ArrayList<>(remove(study.id(), windowDays));
        for (Study other : studies) {
            pair(study, other, windowDays, +1, changes);
        }
        studies.add(study);
        if (studies.size() > MAX_STUDIES) {
            studies.remove(studies.stream().min(OLDEST_FIRST).orElseThrow());
        }
        return changes;
    }

    /** Removes the study of this id, if kept; returns the retractions of its pairs. */
    public List<StudyPairChange> remove(long id, int windowDays) {
        Study removed = null;
        for (int i = 0; i < studies.size(); i++) {
            if (studies.get(i).id() == id) {
                removed = studies.remove(i);
                break;
            }
        }
        if (removed == null) {
            return List.of();
        }
        List<StudyPairChange> changes = new ArrayList<>();
        for (Study other : studies) {
            pair(removed, other, windowDays, -1, changes);
        }
        return changes;
    }

    private static void pair(Study a, Study b, int windowDays, int sign, List<StudyPairChange> out) {
        if (Math.abs(a.cohortDay() - b.cohortDay()) >= windowDays) {
            return;
        }
        List<String> shared = new ArrayList<>(a.groups().size());
        for (String g : a.groups()) {
            if (b.groups().contains(g)) {
                shared.add(g);
            }
        }
        if (shared.isEmpty()) {
            return;
        }
        out.add(new StudyPairChange(
                shared,
                Math.max(a.cohortDay(), b.cohortDay()),
                Math.min(a.cohortDay(), b.cohortDay()),
                StudyPair.of(a.score(), a.label(), a.positive(), b.score(), b.label(), b.positive()),
                sign));
    }

    /** The studies kept. */
    public int size() {
        return studies.size();
    }

    /** The latest cohort day of the studies kept, or Long.MIN_VALUE when none. */
    public long newestDay() {
        return studies.stream().mapToLong(Study::cohortDay).max().orElse(Long.MIN_VALUE);
    }

    public byte[] toBytes() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 96 * studies.size());
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(FORMAT);
            out.writeShort(studies.size());
            for (Study s : studies) {
                out.writeLong(s.id());
                out.writeLong(s.cohortDay());
                out.writeDouble(s.score());
                out.writeByte(s.label() | (s.positive() ? 2 : 0));
                out.writeShort(s.groups().size());
                for (String g : s.groups()) {
                    out.writeUTF(g);
                }
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static SubjectStudies fromBytes(byte[] bytes) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
            int format = in.readUnsignedByte();
            if (format != FORMAT) {
                throw new IllegalArgumentException("unknown SubjectStudies format " + format);
            }
            SubjectStudies s = new SubjectStudies();
            int n = in.readUnsignedShort();
            for (int i = 0; i < n; i++) {
                long id = in.readLong();
                long day = in.readLong();
                double score = in.readDouble();
                int flags = in.readUnsignedByte();
                int groups = in.readUnsignedShort();
                List<String> g = new ArrayList<>(groups);
                for (int j = 0; j < groups; j++) {
                    g.add(in.readUTF());
                }
                s.studies.add(new Study(id, day, score, flags & 1, (flags & 2) != 0, g));
            }
            if (in.available() > 0) {
                throw new IllegalArgumentException("trailing bytes in SubjectStudies");
            }
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
