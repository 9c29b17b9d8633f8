package io.vigil.aggregates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.aggregates.SubjectStudies.Study;
import io.vigil.stats.StudyPair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A subject's studies pair the same way whatever order their labels (and label revisions) arrive in: the net
 * signed pair changes, counted per slice as the performance stage folds them, equal a brute-force enumeration of
 * the pairs of the final studies; and the stored form behaves as the live one.
 */
class SubjectStudiesTest {

    private static final int WINDOW = 7;

    /**
     * Five studies of one subject. s1/s4 are exactly WINDOW days apart (never paired though they share B); s4/s5
     * are 4 days apart but share no slice; s2/s5 are of one day; s1/s4 have equal scores; group lists overlap in
     * different orders.
     */
    private static final List<Study> STUDIES = List.of(
            new Study(11, 100, 0.2, 0, false, List.of("m|1|site|a", "m|1|sex|f")),
            new Study(22, 103, 0.7, 1, true, List.of("m|1|sex|f", "m|1|age|old", "m|1|site|a")),
            new Study(33, 106, 0.55, 0, true, List.of("m|1|site|a", "m|1|age|old")),
            new Study(44, 107, 0.2, 1, false, List.of("m|1|age|old", "m|1|sex|f")),
            new Study(55, 103, 0.9, 1, true, List.of("m|1|site|b", "m|1|site|a")));

    /** A pair change as one slice's daily bucket sees it. */
    private record Key(String group, long laterDay, long earlierDay, StudyPair pair) {}

    /** Net signed count per (slice, later day, earlier day, pair), without zero entries. */
    private static Map<Key, Integer> net(List<StudyPairChange> changes) {
        Map<Key, Integer> out = new HashMap<>();
        for (StudyPairChange c : changes) {
            assertThat(c.groups()).doesNotHaveDuplicates();
            for (String g : c.groups()) {
                out.merge(
                        new Key(g, c.laterDay(), c.earlierDay(), c.pair()),
                        c.sign(),
                        (a, b) -> a + b == 0 ? null : a + b);
            }
        }
        return out;
    }

    /** Every i < j within the window, once per shared slice. */
    private static Map<Key, Integer> bruteForce(List<Study> studies, int window) {
        Map<Key, Integer> out = new HashMap<>();
        for (int i = 0; i < studies.size(); i++) {
            for (int j = i + 1; j < studies.size(); j++) {
                Study a = studies.get(i);
                Study b = studies.get(j);
                if (Math.abs(a.cohortDay() - b.cohortDay()) >= window) {
                    continue;
                }
                StudyPair pair = StudyPair.of(a.score(), a.label(), a.positive(), b.score(), b.label(), b.positive());
                for (String g : a.groups()) {
                    if (b.groups().contains(g)) {
                        out.merge(
                                new Key(
                                        g,
                                        Math.max(a.cohortDay(), b.cohortDay()),
                                        Math.min(a.cohortDay(), b.cohortDay()),
                                        pair),
                                1,
                                Integer::sum);
                    }
                }
            }
        }
        return out;
    }

    private static <T> List<List<T>> permutations(List<T> items) {
        if (items.isEmpty()) {
            return List.of(List.of());
        }
        List<List<T>> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            List<T> rest = new ArrayList<>(items);
            T first = rest.remove(i);
            for (List<T> tail : permutations(rest)) {
                List<T> p = new ArrayList<>();
                p.add(first);
                p.addAll(tail);
                out.add(p);
            }
        }
        return out;
    }

    private static Study relabelled(Study s) {
        return new Study(s.id(), s.cohortDay(), s.score(), 1 - s.label(), s.positive(), s.groups());
    }

    private static List<Study> replaced(List<Study> studies, Study revised) {
        List<Study> out = new ArrayList<>();
        for (Study s : studies) {
            out.add(s.id() == revised.id() ? revised : s);
        }
        return out;
    }

    @Test
    void shouldEmitTheBruteForcePairsWhenStudiesArriveInAnyOrder() {
        Map<Key, Integer> expected = bruteForce(STUDIES, WINDOW);
        // s1-s2 (2 slices), s1-s3, s1-s5, s2-s3 (2), s2-s4 (2), s2-s5, s3-s4, s3-s5: 11 (slice, pair) entries;
        // never s1-s4 (WINDOW apart) nor s4-s5 (no shared slice).
        assertThat(expected.values()).allMatch(v -> v == 1);
        assertThat(expected).hasSize(11);

        List<List<Study>> orders = permutations(STUDIES);
        assertThat(orders).hasSize(120);
        for (List<Study> order : orders) {
            SubjectStudies s = new SubjectStudies();
            List<StudyPairChange> changes = new ArrayList<>();
            for (Study study : order) {
                changes.addAll(s.add(study, WINDOW));
            }
            assertThat(changes).as("order %s", ids(order)).allMatch(c -> c.sign() == 1);
            assertThat(net(changes)).as("order %s", ids(order)).isEqualTo(expected);
            assertThat(s.size()).isEqualTo(STUDIES.size());
            assertThat(s.newestDay()).isEqualTo(107);
        }
    }

    @Test
    void shouldRetractExactlyTheOldPairsWhenALabelIsRevisedAnywhereInTheArrivalOrder() {
        int runs = 0;
        for (Study target : STUDIES) {
            Study revised = relabelled(target);
            Map<Key, Integer> expected = bruteForce(replaced(STUDIES, revised), WINDOW);
            assertThat(expected).isNotEqualTo(bruteForce(STUDIES, WINDOW));
            for (List<Study> order : permutations(STUDIES)) {
                int added = order.indexOf(target);
                // The revision (remove, then add with the new label) comes at any point after the first label.
                for (int at = added + 1; at <= order.size(); at++) {
                    SubjectStudies s = new SubjectStudies();
                    List<StudyPairChange> changes = new ArrayList<>();
                    for (int i = 0; i <= order.size(); i++) {
                        if (i == at) {
                            List<StudyPairChange> retracted = s.remove(target.id(), WINDOW);
                            assertThat(retracted).allMatch(c -> c.sign() == -1);
                            // Every retraction names a pair of the old label, with a study kept at that moment.
                            assertThat(net(retracted))
                                    .isEqualTo(negated(bruteForce(kept(order, at, target), WINDOW, target)));
                            changes.addAll(retracted);
                            changes.addAll(s.add(revised, WINDOW));
                        }
                        if (i < order.size()) {
                            changes.addAll(s.add(order.get(i), WINDOW));
                        }
                    }
                    assertThat(net(changes))
                            .as("revising %d at %d in %s", target.id(), at, ids(order))
                            .isEqualTo(expected);
                    runs++;
                }
            }
        }
        assertThat(runs).isGreaterThan(500);
    }

    /** The studies of {@code order} before {@code at}, apart from the target (what the retraction pairs with). */
    private static List<Study> kept(List<Study> order, int at, Study target) {
        List<Study> out = new ArrayList<>();
        for (Study s : order.subList(0, at)) {
            if (s.id() != target.id()) {
                out.add(s);
            }
        }
        return out;
    }

    /** The brute-force pairs of {@code target} with each of {@code others}. */
    private static Map<Key, Integer> bruteForce(List<Study> others, int window, Study target) {
        Map<Key, Integer> out = new HashMap<>();
        for (Study o : others) {
            bruteForce(List.of(target, o), window).forEach((k, v) -> out.merge(k, v, Integer::sum));
        }
        return out;
    }

    private static Map<Key, Integer> negated(Map<Key, Integer> m) {
        Map<Key, Integer> out = new HashMap<>();
        m.forEach((k, v) -> out.put(k, -v));
        return out;
    }

    private static List<Long> ids(List<Study> order) {
        return order.stream().map(Study::id).toList();
    }

    @Test
    void shouldReturnNothingWhenRemovingAnUnknownId() {
        SubjectStudies s = new SubjectStudies();
        assertThat(s.remove(11, WINDOW)).isEmpty();
        s.add(STUDIES.get(0), WINDOW);
        s.add(STUDIES.get(1), WINDOW);

        assertThat(s.remove(999, WINDOW)).isEmpty();
        assertThat(s.size()).isEqualTo(2);
        assertThat(s.remove(11, WINDOW)).hasSize(1);
        assertThat(s.remove(11, WINDOW)).isEmpty();
        assertThat(s.size()).isEqualTo(1);
    }

    @Test
    void shouldNeverPairWhenStudiesAreWindowDaysOrMoreApart() {
        List<String> g = List.of("m|1|all|all");
        SubjectStudies s = new SubjectStudies();
        assertThat(s.add(new Study(1, 100, 0.3, 0, false, g), WINDOW)).isEmpty();
        assertThat(s.add(new Study(2, 100 + WINDOW, 0.4, 1, false, g), WINDOW)).isEmpty();
        assertThat(s.add(new Study(3, 100 - WINDOW - 7, 0.5, 1, true, g), WINDOW))
                .isEmpty();
        // One day inside the window pairs (with study 1 only).
        List<StudyPairChange> inside = s.add(new Study(4, 100 - WINDOW + 1, 0.6, 0, true, g), WINDOW);
        assertThat(inside)
                .containsExactly(
                        new StudyPairChange(g, 100, 100 - WINDOW + 1, StudyPair.of(0.3, 0, false, 0.6, 0, true), 1));

        // A window of one day pairs only studies of one day.
        SubjectStudies oneDay = new SubjectStudies();
        oneDay.add(new Study(1, 100, 0.3, 0, false, g), 1);
        assertThat(oneDay.add(new Study(2, 101, 0.3, 0, false, g), 1)).isEmpty();
        assertThat(oneDay.add(new Study(3, 100, 0.3, 0, false, g), 1)).hasSize(1);
    }

    @Test
    void shouldNeverPairWhenStudiesShareNoSlice() {
        SubjectStudies s = new SubjectStudies();
        s.add(new Study(1, 100, 0.3, 0, false, List.of("m|1|site|a", "m|1|sex|f")), WINDOW);
        assertThat(s.add(new Study(2, 100, 0.4, 1, true, List.of("m|1|site|b", "m|1|sex|m")), WINDOW))
                .isEmpty();
        assertThat(s.add(new Study(3, 101, 0.4, 1, true, List.of()), WINDOW)).isEmpty();
        assertThat(s.remove(1, WINDOW)).isEmpty();
        assertThat(s.size()).isEqualTo(2);
    }

    @Test
    void shouldReplaceWhenTheSameIdIsAddedTwice() {
        Study first = new Study(7, 100, 0.4, 0, false, List.of("m|1|all|all"));
        SubjectStudies s = new SubjectStudies();
        assertThat(s.add(first, WINDOW)).isEmpty();
        // No self-pair: the second add replaces the first.
        assertThat(s.add(first, WINDOW)).isEmpty();
        assertThat(s.size()).isEqualTo(1);

        Study other = new Study(8, 102, 0.8, 1, true, List.of("m|1|all|all"));
        List<StudyPairChange> changes = new ArrayList<>(s.add(other, WINDOW));
        assertThat(changes).hasSize(1);
        Study revised = relabelled(first);
        List<StudyPairChange> replacing = s.add(revised, WINDOW);
        // The old pair is retracted, the new one added: one of each, not two additions.
        assertThat(replacing).extracting(StudyPairChange::sign).containsExactly(-1, 1);
        assertThat(replacing.get(0).pair()).isEqualTo(changes.get(0).pair());
        changes.addAll(replacing);
        // Adding the identical study again is a net no-op.
        changes.addAll(s.add(revised, WINDOW));
        assertThat(s.size()).isEqualTo(2);
        assertThat(net(changes)).isEqualTo(bruteForce(List.of(revised, other), WINDOW));
    }

    @Test
    void shouldKeepMaxStudiesAndForgetTheEarliestCohortDayWhenOneMoreIsAdded() {
        int n = SubjectStudies.MAX_STUDIES + 1;
        List<String> g = List.of("m|1|all|all");
        List<Study> studies = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            studies.add(new Study(1000 + i, 200 + i, (i % 10) / 10.0, i % 2, i % 3 == 0, g));
        }
        Collections.shuffle(studies, new Random(3));
        // The earliest study arrives neither first nor last.
        int earliestAt = studies.indexOf(
                studies.stream().filter(x -> x.id() == 1000).findFirst().orElseThrow());
        Collections.swap(studies, earliestAt, n / 2);

        SubjectStudies s = new SubjectStudies();
        for (Study study : studies) {
            s.add(study, 1000);
        }
        assertThat(s.size()).isEqualTo(SubjectStudies.MAX_STUDIES);
        assertThat(s.newestDay()).isEqualTo(200 + n - 1);
        assertThat(s.remove(1000, 1000)).as("the earliest day is forgotten").isEmpty();
        assertThat(s.remove(1001, 1000)).hasSize(SubjectStudies.MAX_STUDIES - 1);

        // When the earliest arrives last it pairs with all kept, then is the one forgotten.
        SubjectStudies late = new SubjectStudies();
        for (int i = 1; i < n; i++) {
            late.add(new Study(1000 + i, 200 + i, 0.5, 1, true, g), 1000);
        }
        assertThat(late.add(new Study(1000, 200, 0.5, 0, false, g), 1000)).hasSize(SubjectStudies.MAX_STUDIES);
        assertThat(late.size()).isEqualTo(SubjectStudies.MAX_STUDIES);
        assertThat(late.remove(1000, 1000)).isEmpty();
        assertThat(late.remove(1000 + n - 1, 1000)).hasSize(SubjectStudies.MAX_STUDIES - 1);
    }

    @Test
    void shouldEmitTheSamePairsAfterAReloadWhenStoredAndRestoredBetweenEveryChange() {
        List<Study> order = new ArrayList<>(STUDIES);
        Collections.shuffle(order, new Random(9));
        Study revised = relabelled(order.get(1));
        SubjectStudies live = new SubjectStudies();
        SubjectStudies stored = SubjectStudies.fromBytes(new SubjectStudies().toBytes());
        assertThat(stored.size()).isZero();
        assertThat(stored.newestDay()).isEqualTo(Long.MIN_VALUE);
        for (int i = 0; i <= order.size(); i++) {
            List<StudyPairChange> expected;
            List<StudyPairChange> actual;
            if (i == 3) {
                expected = new ArrayList<>(live.remove(revised.id(), WINDOW));
                actual = new ArrayList<>(stored.remove(revised.id(), WINDOW));
                stored = reload(stored);
                expected.addAll(live.add(revised, WINDOW));
                actual.addAll(stored.add(revised, WINDOW));
            } else {
                Study study = order.get(i < 3 ? i : i - 1);
                expected = live.add(study, WINDOW);
                actual = stored.add(study, WINDOW);
            }
            assertThat(actual).isEqualTo(expected);
            stored = reload(stored);
            assertThat(stored.size()).isEqualTo(live.size());
            assertThat(stored.newestDay()).isEqualTo(live.newestDay());
            assertThat(stored.toBytes()).isEqualTo(live.toBytes());
        }
        // Retractions after a reload name the same pairs (labels and decisions survive the flags byte).
        for (Study study : order) {
            assertThat(reload(stored).remove(study.id(), WINDOW)).isEqualTo(live.remove(study.id(), WINDOW));
            stored.remove(study.id(), WINDOW);
        }
    }

    private static SubjectStudies reload(SubjectStudies s) {
        byte[] bytes = s.toBytes();
        SubjectStudies r = SubjectStudies.fromBytes(bytes);
        assertThat(r.toBytes()).isEqualTo(bytes);
        return r;
    }

    @Test
    void shouldThrowWhenStoredBytesHaveTrailingBytesOrAnUnknownFormat() {
        SubjectStudies s = new SubjectStudies();
        s.add(STUDIES.get(0), WINDOW);
        s.add(STUDIES.get(1), WINDOW);
        byte[] bytes = s.toBytes();

        byte[] trailing = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        assertThatThrownBy(() -> SubjectStudies.fromBytes(trailing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("trailing");

        for (int format : new int[] {0, 2, 255}) {
            byte[] unknown = bytes.clone();
            unknown[0] = (byte) format;
            assertThatThrownBy(() -> SubjectStudies.fromBytes(unknown))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("format " + format);
        }
    }
}
