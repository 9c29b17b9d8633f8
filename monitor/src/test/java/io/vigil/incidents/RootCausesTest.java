package io.vigil.incidents;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.incidents.RootCauses.Root;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Issue 19's scenarios on a fleet of 3 sites x 2 scanners (a Siemens and a GE at each; the GE at S02 runs
 * newer software). Alerts are not picked by hand: each scanner has a count and an effect (the shift of its
 * metric), a slice's effect is the count-weighted mean over its scanners, and a slice alerts when its
 * effect exceeds 0.04 with at least 100 cases, as a rule with a minimum n would. The residual is the same
 * mixture with some scanners left out (the rest's effect, whatever its n).
 */
class RootCausesTest {
    private static final double THRESHOLD = 0.04;
    private static final long MIN_N = 100;

    private final SliceHierarchy fleet = new SliceHierarchy()
            .scanner("S01/CT-1", "S01", "Siemens Force", "Siemens Force 5.0")
            .scanner("S01/CT-2", "S01", "GE Revolution", "GE Revolution 1.1")
            .scanner("S02/CT-1", "S02", "Siemens Force", "Siemens Force 5.0")
            .scanner("S02/CT-2", "S02", "GE Revolution", "GE Revolution 1.2")
            .scanner("S03/CT-1", "S03", "Siemens Force", "Siemens Force 5.0")
            .scanner("S03/CT-2", "S03", "GE Revolution", "GE Revolution 1.1");

    @Test
    void shouldRootOneScannersSoftwareUpdateAtThatScannerWithItsRollupsAsEvidence() {
        Mixture m = new Mixture().effect("S02/CT-2", 0.3);

        List<Root> roots = RootCauses.find(m.alerting(), fleet, m);

        assertThat(m.alerting()).hasSize(5);
        assertThat(roots).singleElement().satisfies(r -> {
            assertThat(r.slice()).isEqualTo(scanner("S02/CT-2"));
            assertThat(r.evidence())
                    .containsExactlyInAnyOrder(
                            new SliceNode("software", "GE Revolution 1.2"),
                            new SliceNode("site", "S02"),
                            new SliceNode("scanner_model", "GE Revolution"),
                            SliceNode.ALL);
        });
    }

    @Test
    void shouldGiveTwoIncidentsForTwoChangesAtTwoSites() {
        Mixture m = new Mixture().effect("S01/CT-1", 0.3).effect("S03/CT-2", 0.3);

        List<Root> roots = RootCauses.find(m.alerting(), fleet, m);

        assertThat(roots).extracting(Root::slice).containsExactlyInAnyOrder(scanner("S01/CT-1"), scanner("S03/CT-2"));
        // The fleet's shift is explained by both: evidence of each.
        assertThat(roots).allSatisfy(r -> assertThat(r.evidence()).contains(SliceNode.ALL));
    }

    @Test
    void shouldRootAChangeAtEveryScannerAtTheModelVersion() {
        Mixture m = new Mixture();
        for (String s : List.of("S01/CT-1", "S01/CT-2", "S02/CT-1", "S02/CT-2", "S03/CT-1", "S03/CT-2")) {
            m.effect(s, 0.3);
        }

        List<Root> roots = RootCauses.find(m.alerting(), fleet, m);

        assertThat(roots).singleElement().satisfies(r -> {
            assertThat(r.slice()).isEqualTo(SliceNode.ALL);
            assertThat(r.evidence()).hasSize(m.alerting().size() - 1);
        });
    }

    @Test
    void shouldRootAChangeAtEveryScannerOfOneModelAtThatModel() {
        Mixture m =
                new Mixture().effect("S01/CT-2", 0.3).effect("S02/CT-2", 0.3).effect("S03/CT-2", 0.3);

        List<Root> roots = RootCauses.find(m.alerting(), fleet, m);

        assertThat(roots)
                .singleElement()
                .extracting(Root::slice)
                .isEqualTo(new SliceNode("scanner_model", "GE Revolution"));
    }

    @Test
    void shouldRootAChangeWiderThanItsAlertingChildAtTheParentThatStillDeviatesWithoutIt() {
        // S02's CT-1 shifts too but has 50 cases, too few to alert alone; S02 without CT-2 still deviates: the
        // change is site-wide, and CT-2, the scanner that stood out, is its evidence.
        Mixture m =
                new Mixture().effect("S02/CT-2", 0.3).effect("S02/CT-1", 0.2).count("S02/CT-1", 50);

        List<Root> roots = RootCauses.find(m.alerting(), fleet, m);

        assertThat(m.alerting()).doesNotContain(scanner("S02/CT-1"));
        assertThat(roots).singleElement().satisfies(r -> {
            assertThat(r.slice()).isEqualTo(new SliceNode("site", "S02"));
            assertThat(r.evidence()).contains(scanner("S02/CT-2"));
        });
        // Told to keep them apart (two conditions that share no rule), both are roots.
        assertThat(RootCauses.find(m.alerting(), fleet, m, (parent, inner) -> false))
                .extracting(Root::slice)
                .containsExactly(scanner("S02/CT-2"), new SliceNode("site", "S02"));
    }

    @Test
    void shouldFindNothingWhenNothingAlerts() {
        Mixture m = new Mixture().effect("S02/CT-2", 0.01);

        assertThat(m.alerting()).isEmpty();
        assertThat(RootCauses.find(m.alerting(), fleet, m)).isEmpty();
    }

    private static SliceNode scanner(String id) {
        return new SliceNode("scanner", id);
    }

    /** Per-scanner counts (default 1,000) and effects (default 0); slices as count-weighted mixtures. */
    private final class Mixture implements RootCauses.Residual {
        private final Map<SliceNode, Double> effect = new HashMap<>();
        private final Map<SliceNode, Long> count = new HashMap<>();

        Mixture effect(String scanner, double value) {
            effect.put(scanner(scanner), value);
            return this;
        }

        Mixture count(String scanner, long n) {
            count.put(scanner(scanner), n);
            return this;
        }

        Set<SliceNode> alerting() {
            Set<SliceNode> out = new HashSet<>();
            for (SliceNode slice : fleet.bottomUp()) {
                if (deviates(slice, Set.of(), MIN_N)) {
                    out.add(slice);
                }
            }
            return out;
        }

        @Override
        public boolean deviatesWithout(SliceNode slice, Set<SliceNode> excluded) {
            return deviates(slice, excluded, 1); // the rest's effect, however few cases remain
        }

        private boolean deviates(SliceNode slice, Set<SliceNode> excluded, long minN) {
            double sum = 0;
            long n = 0;
            for (SliceNode s : fleet.scanners(slice)) {
                if (!excluded.contains(s)) {
                    long c = count.getOrDefault(s, 1_000L);
                    sum += c * effect.getOrDefault(s, 0.0);
                    n += c;
                }
            }
            return n >= minN && Math.abs(sum / n) > THRESHOLD;
        }
    }
}
