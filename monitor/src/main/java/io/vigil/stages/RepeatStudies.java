package io.vigil.stages;

import io.vigil.aggregates.OutcomeChange;
import io.vigil.aggregates.StudyPairChange;
import io.vigil.aggregates.SubjectStudies;
import io.vigil.serde.JsonSerde;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Pairs the labelled studies of one patient, for patient-wise intervals: repeat studies of one subject are
 * correlated, and the performance stage's intervals count their within-subject pairs
 * ({@link io.vigil.stats.ClusteredVariance}).
 *
 * <p>The outcome join gives every change the prediction's subject id, the first 64 bits of
 * HMAC-SHA256({@code stability.subject-key-secret}, {@code subject_key}) ({@link io.vigil.stages.shared.SubjectKeys#subjectId}); without the secret,
 * or without a {@code subject_key}, a change has none and this stage never sees it. Labelled changes (sign ±1) with
 * a subject id are repartitioned by {@code model|version|subject id} ({@value #REPARTITION}; what crosses it: the
 * subject id, a 64-bit hash of the prediction id, cohort day, score, label, decision and slices); store
 * {@value #SUBJECTS_STORE} keeps each subject's labelled studies ({@link SubjectStudies}) and emits, per study
 * added or retracted, the {@link StudyPairChange}s with the subject's other studies within the longest outcome
 * window, which the performance stage folds into the same daily buckets as the outcomes.
 *
 * <p>State expires through a day index ({@value #EXPIRY_STORE}, keyed by the subject's newest cohort day
 * zero-padded, then the subject key, scanned up to a cutoff on a stream-time punctuation): a subject whose
 * newest study is more than the longest window plus {@code labels.max-delay-days} before the latest cohort day
 * seen can gain no pair a window would still count.
 */
public final class RepeatStudies {
    public static final String NAME = "repeat-studies";
    static final String SUBJECTS_STORE = NAME + "-subjects";
    static final String EXPIRY_STORE = NAME + "-expiry";
    static final String REPARTITION = NAME + "-by-subject";

    /**
     * What crosses the by-subject repartition: no subject key, no prediction id.
     *
     * @param study a 64-bit hash of the prediction id ({@link #studyId})
     * @param sign  +1 (a label) or -1 (its retraction by a revision)
     */
    public record StudyChange(
            long study, long cohortDay, double score, int label, boolean positive, List<String> groups, int sign) {
        public StudyChange {
            groups = List.copyOf(groups);
        }

        SubjectStudies.Study asStudy() {
            return new SubjectStudies.Study(study, cohortDay, score, label, positive, groups);
        }
    }

    private final int windowDays;
    private final int maxDelayDays;

    /**
     * @param windowDays   the longest outcome window: studies further apart are not paired
     * @param maxDelayDays {@code labels.max-delay-days}: how long after its cohort day a study can still be labelled
     */
    public RepeatStudies(int windowDays, int maxDelayDays) {
        if (windowDays < 1 || maxDelayDays < 0) {
            throw new IllegalArgumentException(
                    "windowDays must be >= 1 and maxDelayDays >= 0, got " + windowDays + ", " + maxDelayDays);
        }
        this.windowDays = windowDays;
        this.maxDelayDays = maxDelayDays;
    }

    /** FNV-1a 64 of a prediction id's UTF-8 bytes: tells one subject's studies apart. */
    static long studyId(String predictionId) {
        long h = 0xcbf29ce484222325L;
        for (byte b : predictionId.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** Adds the pairing over the outcome join's changes (keyed by prediction id); returns the pair changes. */
    public KStream<String, StudyPairChange> addTo(StreamsBuilder builder, KStream<String, OutcomeChange> changes) {
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(SUBJECTS_STORE), Serdes.String(), Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(EXPIRY_STORE), Serdes.String(), Serdes.ByteArray()));
        return changes.filter(
                        (id, c) -> c.sign() != 0
                                && c.subject() != OutcomeChange.NO_SUBJECT
                                && !c.groups().isEmpty(),
                        Named.as(NAME + "-labelled-with-subject"))
                .map(
                        (id, c) -> KeyValue.pair(
                                subjectKey(c),
                                new StudyChange(
                                        studyId(id),
                                        c.cohortDay(),
                                        c.score(),
                                        c.label(),
                                        c.predictedPositive(),
                                        c.groups(),
                                        c.sign())),
                        Named.as(NAME + "-key-by-subject"))
                .repartition(Repartitioned.with(Serdes.String(), new JsonSerde<>(StudyChange.class))
                        .withName(REPARTITION))
                .process(Pairing::new, Named.as(NAME + "-pair"), SUBJECTS_STORE, EXPIRY_STORE);
    }

    /** {@code model|version|subject id in hex}: the groups of one prediction share their model and version. */
    static String subjectKey(OutcomeChange c) {
        String group = c.groups().get(0);
        int second = group.indexOf('|', group.indexOf('|') + 1);
        return group.substring(0, second) + "|" + Long.toHexString(c.subject());
    }

    /** Keeps each subject's studies; emits the pairs a study adds or retracts; expires by a day index. */
    private final class Pairing implements Processor<String, StudyChange, String, StudyPairChange> {
        private ProcessorContext<String, StudyPairChange> context;
        private KeyValueStore<String, byte[]> subjects;
        private KeyValueStore<String, byte[]> expiry;
        private long latestDay = Long.MIN_VALUE;

        @Override
        public void init(ProcessorContext<String, StudyPairChange> context) {
            this.context = context;
            this.subjects = context.getStateStore(SUBJECTS_STORE);
            this.expiry = context.getStateStore(EXPIRY_STORE);
            context.schedule(Duration.ofHours(1), PunctuationType.STREAM_TIME, t -> expire());
        }

        @Override
        public void process(Record<String, StudyChange> record) {
            StudyChange c = record.value();
            latestDay = Math.max(latestDay, c.cohortDay());
            byte[] stored = subjects.get(record.key());
            SubjectStudies s = stored == null ? new SubjectStudies() : SubjectStudies.fromBytes(stored);
            long newestBefore = s.newestDay();
            List<StudyPairChange> pairs =
                    c.sign() > 0 ? s.add(c.asStudy(), windowDays) : s.remove(c.study(), windowDays);
            for (StudyPairChange p : pairs) {
                context.forward(new Record<>(record.key(), p, record.timestamp()));
            }
            if (s.newestDay() != newestBefore && newestBefore != Long.MIN_VALUE) {
                expiry.delete(indexKey(newestBefore, record.key()));
            }
            if (s.size() == 0) {
                subjects.delete(record.key());
                return;
            }
            subjects.put(record.key(), s.toBytes());
            expiry.put(indexKey(s.newestDay(), record.key()), new byte[0]);
        }

        /** Drops subjects whose newest study no window can pair with a study still to be labelled. */
        private void expire() {
            long cutoff = latestDay - windowDays - maxDelayDays;
            if (latestDay == Long.MIN_VALUE || cutoff < 0) {
                return;
            }
            List<String> expired = new ArrayList<>();
            try (KeyValueIterator<String, byte[]> it = expiry.range(indexKey(0, ""), indexKey(cutoff, "~"))) {
                while (it.hasNext()) {
                    expired.add(it.next().key);
                }
            }
            for (String indexKey : expired) {
                expiry.delete(indexKey);
                subjects.delete(indexKey.substring(11));
            }
        }
    }

    /** Index key: the day zero-padded to 10 digits (byte order is day order), '|', then the subject key. */
    static String indexKey(long day, String key) {
        return String.format("%010d|%s", day, key);
    }
}
