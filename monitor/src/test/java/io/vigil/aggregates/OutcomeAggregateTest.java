package io.vigil.aggregates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.vigil.stats.ClusteredVariance.Counted;
import io.vigil.stats.ObservedExpectedReference;
import io.vigil.stats.ObservedExpectedSums;
import io.vigil.stats.StudyPair;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The within-subject pairs of {@link OutcomeAggregate}: windows count a pair only from its earlier day on, signed
 * counts cancel and add whichever partial is merged first, the stored form (format 2) keeps them bit for bit
 * whatever the merge order, and format 1 (written before pairs were kept) still loads.
 */
class OutcomeAggregateTest {

    private static final List<String> GROUP = List.of("m|1|all|all");
    private static final long DAY = 110;

    private static final StudyPair P1 = StudyPair.of(0.2, 0, false, 0.7, 1, true);
    private static final StudyPair P2 = StudyPair.of(0.9, 1, true, 0.3, 1, false);
    private static final StudyPair P3 = StudyPair.of(0.5, 0, true, 0.5, 1, true);
    private static final StudyPair P4 = StudyPair.of(0.1, 0, false, 0.1, 0, false);

    private static StudyPairChange pair(long earlierDay, StudyPair p, int sign) {
        return new StudyPairChange(GROUP, DAY, earlierDay, p, sign);
    }

    private static OutcomeAggregate reload(OutcomeAggregate a) {
        return OutcomeAggregate.CODEC.fromBytes(OutcomeAggregate.CODEC.toBytes(a));
    }

    @Test
    void shouldReturnOnlyPairsFromTheFirstDayWhenAWindowStartsAfterSomeEarlierDays() {
        OutcomeAggregate a = new OutcomeAggregate();
        a.apply(pair(104, P1, 1));
        a.apply(pair(104, P1, 1));
        a.apply(pair(103, P4, 1));
        a.apply(pair(107, P2, 1));
        a.apply(pair(107, P1, 1));
        a.apply(pair(DAY, P3, 1));

        assertThat(a.pairEntries()).isEqualTo(5);
        assertThat(a.pairsFrom(Long.MIN_VALUE))
                .containsExactlyInAnyOrder(
                        new Counted(P4, 1),
                        new Counted(P1, 2),
                        new Counted(P1, 1),
                        new Counted(P2, 1),
                        new Counted(P3, 1));
        assertThat(a.pairsFrom(104))
                .containsExactlyInAnyOrder(
                        new Counted(P1, 2), new Counted(P1, 1), new Counted(P2, 1), new Counted(P3, 1));
        assertThat(a.pairsFrom(105))
                .containsExactlyInAnyOrder(new Counted(P1, 1), new Counted(P2, 1), new Counted(P3, 1));
        assertThat(a.pairsFrom(107))
                .containsExactlyInAnyOrder(new Counted(P1, 1), new Counted(P2, 1), new Counted(P3, 1));
        assertThat(a.pairsFrom(108)).containsExactly(new Counted(P3, 1));
        assertThat(a.pairsFrom(DAY)).containsExactly(new Counted(P3, 1));
        assertThat(a.pairsFrom(DAY + 1)).isEmpty();
    }

    @Test
    void shouldLeaveNoPairWhenAnAdditionAndItsRetractionAreMergedInEitherOrder() {
        OutcomeAggregate retraction = new OutcomeAggregate();
        retraction.apply(pair(105, P1, -1));
        OutcomeAggregate addition = new OutcomeAggregate();
        addition.apply(pair(105, P1, 1));
        // A retraction seen first is held as a negative count, counted in no window.
        assertThat(retraction.pairEntries()).isEqualTo(1);
        assertThat(retraction.pairsFrom(Long.MIN_VALUE)).isEmpty();

        OutcomeAggregate retractionFirst = new OutcomeAggregate();
        retractionFirst.merge(retraction);
        retractionFirst.merge(addition);
        OutcomeAggregate additionFirst = new OutcomeAggregate();
        additionFirst.merge(addition);
        additionFirst.merge(retraction);
        OutcomeAggregate intoRetraction = reload(retraction);
        intoRetraction.merge(addition);
        OutcomeAggregate intoAddition = reload(addition);
        intoAddition.merge(reload(retraction));

        for (OutcomeAggregate merged : List.of(retractionFirst, additionFirst, intoRetraction, intoAddition)) {
            assertThat(merged.pairEntries()).isZero();
            assertThat(merged.pairsFrom(Long.MIN_VALUE)).isEmpty();
            assertThat(OutcomeAggregate.CODEC.toBytes(merged))
                    .isEqualTo(OutcomeAggregate.CODEC.toBytes(new OutcomeAggregate()));
        }
        // The partials are left unchanged by being merged.
        assertThat(retraction.pairEntries()).isEqualTo(1);
        assertThat(addition.pairsFrom(Long.MIN_VALUE)).containsExactly(new Counted(P1, 1));

        // Applied to one aggregate, in either order, the same.
        OutcomeAggregate one = new OutcomeAggregate();
        one.apply(pair(105, P1, -1));
        one.apply(pair(105, P1, 1));
        assertThat(one.pairEntries()).isZero();
    }

    @Test
    void shouldAddCountsWhenPartialsAreMerged() {
        OutcomeAggregate a = new OutcomeAggregate();
        a.apply(pair(105, P1, 1));
        a.apply(pair(105, P1, 1));
        a.apply(pair(106, P2, 1));
        OutcomeAggregate b = new OutcomeAggregate();
        b.apply(pair(105, P1, 1));
        b.apply(pair(106, P2, -1));
        b.apply(pair(109, P3, 1));
        OutcomeAggregate c = new OutcomeAggregate();
        c.apply(pair(105, P1, 1));
        c.apply(pair(105, P1, 1));
        c.apply(pair(109, P3, -1));
        c.apply(pair(109, P3, -1));

        OutcomeAggregate merged = new OutcomeAggregate();
        merged.merge(a);
        merged.merge(b);
        assertThat(merged.pairsFrom(Long.MIN_VALUE)).containsExactlyInAnyOrder(new Counted(P1, 3), new Counted(P3, 1));
        merged.merge(c);
        assertThat(merged.pairsFrom(Long.MIN_VALUE)).containsExactly(new Counted(P1, 5));
        // P3 is net -1: kept (a later partial may bring its addition) but not counted.
        assertThat(merged.pairEntries()).isEqualTo(2);
        OutcomeAggregate late = new OutcomeAggregate();
        late.apply(pair(109, P3, 1));
        merged.merge(late);
        assertThat(merged.pairEntries()).isEqualTo(1);
    }

    /** Partials of one bucket: outcomes, registrations, label delays and signed pairs, no pending removals. */
    private static List<OutcomeAggregate> partials(Random random, int count) {
        StudyPair[] pairs = {P1, P2, P3, P4};
        List<OutcomeAggregate> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            OutcomeAggregate a = new OutcomeAggregate();
            for (int j = 0; j < 40; j++) {
                double score = random.nextDouble();
                int label = random.nextInt(2);
                a.apply(new OutcomeChange(GROUP, score, 0.4, DAY, -1, 0, -1));
                a.apply(new OutcomeChange(GROUP, score, 0.4, DAY, label, 1, random.nextInt(100_000)));
                a.apply(pair(
                        DAY - random.nextInt(7),
                        StudyPair.of(
                                score,
                                label,
                                score >= 0.4,
                                random.nextDouble(),
                                random.nextInt(2),
                                random.nextBoolean()),
                        1));
                a.apply(pair(
                        DAY - random.nextInt(3), pairs[random.nextInt(pairs.length)], random.nextBoolean() ? 1 : -1));
            }
            out.add(a);
        }
        return out;
    }

    @Test
    void shouldRoundTripPairsWhenStoredAndRestored() {
        OutcomeAggregate a = partials(new Random(1), 1).get(0);
        a.apply(pair(100, P4, -1));
        assertThat(a.pairEntries()).isGreaterThan(40);

        byte[] bytes = OutcomeAggregate.CODEC.toBytes(a);
        assertThat(bytes[0]).isEqualTo((byte) 3);
        OutcomeAggregate restored = OutcomeAggregate.CODEC.fromBytes(bytes);
        assertThat(OutcomeAggregate.CODEC.toBytes(restored)).isEqualTo(bytes);
        assertThat(restored.pairEntries()).isEqualTo(a.pairEntries());
        for (long first = DAY - 12; first <= DAY + 1; first++) {
            assertThat(restored.pairsFrom(first)).isEqualTo(a.pairsFrom(first));
        }
        assertThat(restored.tp()).isEqualTo(a.tp());
        assertThat(restored.predicted()).isEqualTo(a.predicted());
        assertThat(restored.stats()).isEqualTo(a.stats());
        // The negative count survives: its addition still cancels it after the reload.
        restored.apply(pair(100, P4, 1));
        a.apply(pair(100, P4, 1));
        assertThat(OutcomeAggregate.CODEC.toBytes(restored)).isEqualTo(OutcomeAggregate.CODEC.toBytes(a));
    }

    @Test
    void shouldWriteIdenticalBytesWhenPartialsAreMergedInAnyOrderOrGrouping() {
        List<OutcomeAggregate> parts = partials(new Random(2), 6);
        OutcomeAggregate reference = OutcomeAggregate.CODEC.empty();
        for (OutcomeAggregate p : parts) {
            OutcomeAggregate.CODEC.merge(reference, p);
        }
        byte[] expected = OutcomeAggregate.CODEC.toBytes(reference);
        assertThat(reference.pairEntries()).isGreaterThan(0);

        Random random = new Random(5);
        for (int trial = 0; trial < 30; trial++) {
            List<OutcomeAggregate> order = new ArrayList<>(parts);
            Collections.shuffle(order, random);
            // Left fold, through the stored form of each partial.
            OutcomeAggregate fold = OutcomeAggregate.CODEC.empty();
            for (OutcomeAggregate p : order) {
                OutcomeAggregate.CODEC.merge(fold, reload(p));
            }
            assertThat(OutcomeAggregate.CODEC.toBytes(fold)).isEqualTo(expected);
            // Random groupings: merge pairs of (stored) sub-merges until one is left.
            List<OutcomeAggregate> level = new ArrayList<>();
            for (OutcomeAggregate p : order) {
                OutcomeAggregate copy = reload(p);
                level.add(copy);
            }
            while (level.size() > 1) {
                OutcomeAggregate x = level.remove(random.nextInt(level.size()));
                OutcomeAggregate y = level.remove(random.nextInt(level.size()));
                OutcomeAggregate.CODEC.merge(y, x);
                level.add(random.nextBoolean() ? reload(y) : y);
            }
            assertThat(OutcomeAggregate.CODEC.toBytes(level.get(0))).isEqualTo(expected);
        }
    }

    /** Format 1, as written before pairs were kept: format 2 without the pair section, first byte 1. */
    private static byte[] formatOne(OutcomeAggregate a, List<double[]> pendingRemovals, long[] delaySeconds)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(1);
        byte[] s = a.stats().toBytes();
        out.writeInt(s.length);
        out.write(s);
        out.writeInt(pendingRemovals.size());
        for (double[] r : pendingRemovals) {
            out.writeDouble(r[0]);
            out.writeByte((int) r[1]);
        }
        for (long v : new long[] {a.tp(), a.fp(), a.tn(), a.fn(), a.predictedPositive(), a.predictedNegative()}) {
            out.writeLong(v);
        }
        TreeMap<Integer, Long> bins = new TreeMap<>();
        for (long d : delaySeconds) {
            bins.merge(OutcomeAggregate.delayBin(d), 1L, Long::sum);
        }
        out.writeShort(bins.size());
        for (var e : bins.entrySet()) {
            out.writeShort(e.getKey());
            out.writeLong(e.getValue());
        }
        return bytes.toByteArray();
    }

    @Test
    void shouldReadAnAggregateWithoutPairsWhenStoredInFormatOne() throws IOException {
        OutcomeAggregate a = new OutcomeAggregate();
        long[] delays = {0, 5, 5, 3600, 86_400 * 3};
        double[] scores = {0.1, 0.35, 0.6, 0.8, 0.95};
        int[] labels = {0, 1, 0, 1, 1};
        for (int i = 0; i < scores.length; i++) {
            a.apply(new OutcomeChange(GROUP, scores[i], 0.5, DAY, -1, 0, -1));
            a.apply(new OutcomeChange(GROUP, scores[i], 0.5, DAY, labels[i], 1, delays[i]));
        }
        a.apply(new OutcomeChange(GROUP, 0.2, 0.5, DAY, -1, 0, -1));
        // A retraction of an outcome this aggregate never saw stays pending.
        a.apply(new OutcomeChange(GROUP, 0.3, 0.5, DAY, 1, -1, -1));
        assertThat(a.pendingRemovals()).isEqualTo(1);
        assertThat(a.pairEntries()).isZero();

        byte[] one = formatOne(a, List.of(new double[] {0.3, 1}), delays);
        byte[] two = OutcomeAggregate.CODEC.toBytes(a);
        // The hand-written layout is format 3 without its (empty) pair and label-age sections.
        int ageSection = 4 + new ObservedExpectedSums().toBytes().length;
        byte[] twoWithoutPairs = Arrays.copyOf(two, two.length - 4 - ageSection);
        twoWithoutPairs[0] = 1;
        assertThat(one).isEqualTo(twoWithoutPairs);

        OutcomeAggregate read = OutcomeAggregate.CODEC.fromBytes(one);
        assertThat(read.pairEntries()).isZero();
        assertThat(read.pairsFrom(Long.MIN_VALUE)).isEmpty();
        assertThat(read.stats()).isEqualTo(a.stats());
        assertThat(read.tp()).isEqualTo(a.tp()).isEqualTo(2);
        assertThat(read.fp()).isEqualTo(a.fp()).isEqualTo(1);
        assertThat(read.tn()).isEqualTo(a.tn()).isEqualTo(1);
        assertThat(read.fn()).isEqualTo(a.fn()).isZero();
        assertThat(read.predictedPositive()).isEqualTo(3);
        assertThat(read.predictedNegative()).isEqualTo(3);
        assertThat(read.delayCount()).isEqualTo(5);
        assertThat(read.delayQuantile(0.5)).isEqualTo(a.delayQuantile(0.5));
        assertThat(read.pendingRemovals()).isEqualTo(1);
        // Written again in the current format, and pairs can be added to it.
        assertThat(OutcomeAggregate.CODEC.toBytes(read)).isEqualTo(two);
        read.apply(pair(105, P2, 1));
        assertThat(read.pairsFrom(105)).containsExactly(new Counted(P2, 1));

        // Format 1 has no pair section: bytes after its delays trail, even when they read as an empty one.
        assertThatThrownBy(() -> OutcomeAggregate.CODEC.fromBytes(Arrays.copyOf(one, one.length + 4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("trailing");
    }

    @Test
    void shouldKeepTheLabelAgeSumsOfFirstLabelsWithinTheAgeWhateverTheOrderOfAdditionsRetractionsAndMerges() {
        long age = 30 * 86_400L;
        // (score, label, age): two within the age, one after it
        OutcomeChange early = new OutcomeChange(GROUP, 0.2, 0.5, DAY, 1, 1, 86_400, OutcomeChange.NO_SUBJECT, 86_400);
        OutcomeChange atAge = new OutcomeChange(GROUP, 0.6, 0.5, DAY, 0, 1, age, OutcomeChange.NO_SUBJECT, age);
        OutcomeChange late = new OutcomeChange(GROUP, 0.9, 0.5, DAY, 1, 1, age + 1, OutcomeChange.NO_SUBJECT, age + 1);
        // the early case revised to 0: retracted and re-added with its first label's age
        OutcomeChange retract = new OutcomeChange(GROUP, 0.2, 0.5, DAY, 1, -1, -1, OutcomeChange.NO_SUBJECT, 86_400);
        OutcomeChange revised = new OutcomeChange(GROUP, 0.2, 0.5, DAY, 0, 1, -1, OutcomeChange.NO_SUBJECT, 86_400);
        List<OutcomeChange> changes = List.of(early, atAge, late, retract, revised);

        byte[] expected = null;
        Random random = new Random(5);
        for (int trial = 0; trial < 30; trial++) {
            List<OutcomeChange> order = new ArrayList<>(changes);
            Collections.shuffle(order, random);
            List<OutcomeAggregate> partials = new ArrayList<>();
            for (OutcomeChange c : order) {
                OutcomeAggregate p = new OutcomeAggregate();
                p.apply(c, age);
                partials.add(p);
            }
            OutcomeAggregate into = new OutcomeAggregate();
            for (OutcomeAggregate p : partials) {
                OutcomeAggregate.CODEC.merge(into, OutcomeAggregate.CODEC.fromBytes(OutcomeAggregate.CODEC.toBytes(p)));
            }
            // (the stats' pending removals need a retraction's partial merged after its addition's, as the two-phase
            // aggregation merges them; the label-age sums are signed and need no order)
            byte[] bytes = into.atLabelAge().toBytes();
            if (expected == null) {
                expected = bytes;
            }
            assertThat(bytes).isEqualTo(expected);
            assertThat(OutcomeAggregate.CODEC
                            .fromBytes(OutcomeAggregate.CODEC.toBytes(into))
                            .atLabelAge())
                    .isEqualTo(into.atLabelAge());
            // labelled at the age: 0.2 (now 0) and 0.6 (0); not 0.9, observed a second after it
            ObservedExpectedReference.Day d = into.atLabelAge().day(DAY);
            assertThat(d.labelled()).isEqualTo(2);
            assertThat(d.observed()).isZero();
            assertThat(d.expected()).isCloseTo(0.8, within(1e-9));
            assertThat(d.variance()).isCloseTo(0.2 * 0.8 + 0.6 * 0.4, within(1e-9));
            assertThat(d.thirdCumulant()).isCloseTo(0.16 * 0.6 + 0.24 * -0.2, within(1e-9));
        }
        // without an age (the CUSUM off), nothing is kept
        OutcomeAggregate none = new OutcomeAggregate();
        changes.forEach(none::apply);
        assertThat(none.atLabelAge().labelled()).isZero();
    }

    @Test
    void shouldReadAFormatTwoAggregateWithEmptyLabelAgeSums() {
        OutcomeAggregate a = new OutcomeAggregate();
        a.apply(new OutcomeChange(GROUP, 0.3, 0.5, DAY, -1, 0, -1));
        a.apply(new OutcomeChange(GROUP, 0.3, 0.5, DAY, 1, 1, 60), 86_400);
        a.apply(pair(105, P2, 1));
        assertThat(a.atLabelAge().labelled()).isEqualTo(1);
        byte[] three = OutcomeAggregate.CODEC.toBytes(a);
        int ageSection = 4 + a.atLabelAge().toBytes().length;
        byte[] two = Arrays.copyOf(three, three.length - ageSection);
        two[0] = 2;

        OutcomeAggregate read = OutcomeAggregate.CODEC.fromBytes(two);

        assertThat(read.atLabelAge().labelled()).isZero();
        assertThat(read.stats()).isEqualTo(a.stats());
        assertThat(read.pairsFrom(105)).containsExactly(new Counted(P2, 1));
        assertThat(read.labelled()).isEqualTo(1);
    }

    @Test
    void shouldThrowWhenBytesTrailAValidArrayOrTheFormatIsUnknown() {
        OutcomeAggregate a = partials(new Random(3), 1).get(0);
        byte[] bytes = OutcomeAggregate.CODEC.toBytes(a);
        for (byte[] garbage : List.of(new byte[] {0}, new byte[] {1, 2, 3}, new byte[13])) {
            byte[] trailing = Arrays.copyOf(bytes, bytes.length + garbage.length);
            System.arraycopy(garbage, 0, trailing, bytes.length, garbage.length);
            assertThatThrownBy(() -> OutcomeAggregate.CODEC.fromBytes(trailing))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("trailing");
        }
        byte[] empty = OutcomeAggregate.CODEC.toBytes(new OutcomeAggregate());
        byte[] emptyTrailing = Arrays.copyOf(empty, empty.length + 1);
        assertThatThrownBy(() -> OutcomeAggregate.CODEC.fromBytes(emptyTrailing))
                .isInstanceOf(IllegalArgumentException.class);

        for (int format : new int[] {0, 4, 255}) {
            byte[] unknown = bytes.clone();
            unknown[0] = (byte) format;
            assertThatThrownBy(() -> OutcomeAggregate.CODEC.fromBytes(unknown))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("format " + format);
        }
    }
}
