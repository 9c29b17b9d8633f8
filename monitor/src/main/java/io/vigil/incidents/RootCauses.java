package io.vigil.incidents;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The smallest set of slices whose change explains every alerting slice of one model version, in the spirit
 * of HotSpot, Squeeze and Adtributor but exact on Vigil's small, known hierarchy ({@link SliceHierarchy}).
 * Alerting slices are visited most specific first; for each, the roots found so far that share scanners with
 * it (inside it, or across it, as a site across a scanner model) are its candidate explanation:
 * <ul>
 *   <li>none: the slice is a root;</li>
 *   <li>one root with the very same scanners (a one-scanner site, a software version only that scanner runs):
 *       the slice is evidence of that root;</li>
 *   <li>roots inside it covering every scanner of the slice: one cause at this level is the simpler explanation (one
 *       root instead of several), so the slice becomes the root and they its evidence;</li>
 *   <li>roots covering part of it: if the slice still deviates with their scanners in it left out
 *       ({@link Residual}) the change is wider than they are, and the slice is the root, with those of them it
 *       {@link Absorbs absorbs} as evidence (parsimony, as in HotSpot's ripple effect: one change at the
 *       slice explains its own deviation and theirs; two independent changes nested in one slice are then
 *       reported as one, with both visible among its evidence); otherwise it is evidence of each of them, those
 *       across it included.</li>
 * </ul>
 * A slice cutting across scanners ({@link SliceHierarchy#crossCutting}: sex, age band) is a root only when no
 * root shares scanners with it; otherwise it is evidence of them (it never becomes the root of a change seen
 * in the scanner hierarchy). Pure: no Kafka, no clock; {@link Residual} says how a deviation is recomputed without some scanners.
 */
public final class RootCauses {
    private RootCauses() {}

    /** Whether a slice's deviation remains once the given scanners are left out of it. */
    @FunctionalInterface
    public interface Residual {
        boolean deviatesWithout(SliceNode slice, Set<SliceNode> excludedScanners);
    }

    /** Whether a slice found to deviate on its own explains a root inside it (its change may be the same). */
    @FunctionalInterface
    public interface Absorbs {
        boolean absorbs(SliceNode parent, SliceNode innerRoot);
    }

    /** A root and the alerting slices it explains (not including itself), most specific first. */
    public record Root(SliceNode slice, List<SliceNode> evidence) {
        public Root {
            evidence = List.copyOf(evidence);
        }
    }

    /** The roots explaining {@code alerting}, a deviating parent absorbing every root inside it. */
    public static List<Root> find(Set<SliceNode> alerting, SliceHierarchy hierarchy, Residual residual) {
        return find(alerting, hierarchy, residual, (parent, inner) -> true);
    }

    /** The roots explaining {@code alerting}; slices the hierarchy does not know are roots of their own. */
    public static List<Root> find(
            Set<SliceNode> alerting, SliceHierarchy hierarchy, Residual residual, Absorbs absorbs) {
        Map<SliceNode, List<SliceNode>> roots = new LinkedHashMap<>();
        for (SliceNode slice : hierarchy.bottomUp()) {
            if (!alerting.contains(slice)) {
                continue;
            }
            Set<SliceNode> scanners = hierarchy.scanners(slice);
            List<SliceNode> inside = new ArrayList<>();
            List<SliceNode> overlapping = new ArrayList<>();
            Set<SliceNode> insideScanners = new HashSet<>();
            Set<SliceNode> covered = new HashSet<>();
            for (SliceNode root : roots.keySet()) {
                Set<SliceNode> of = hierarchy.scanners(root);
                if (scanners.containsAll(of)) {
                    inside.add(root);
                    insideScanners.addAll(of);
                }
                if (of.stream().anyMatch(scanners::contains)) {
                    overlapping.add(root);
                    of.stream().filter(scanners::contains).forEach(covered::add);
                }
            }
            if (overlapping.isEmpty()) {
                roots.put(slice, new ArrayList<>());
            } else if (hierarchy.isCrossCutting(slice)) {
                // Sex, age band: a mixture of every scanner, no owner to call; what explains part of it explains it.
                overlapping.forEach(root -> roots.get(root).add(slice));
            } else if (inside.size() == 1 && hierarchy.scanners(inside.get(0)).equals(scanners)) {
                roots.get(inside.get(0)).add(slice);
            } else if (!inside.isEmpty() && insideScanners.equals(scanners)) {
                List<SliceNode> evidence = new ArrayList<>();
                for (SliceNode root : inside) {
                    evidence.add(root);
                    evidence.addAll(roots.remove(root));
                }
                roots.put(slice, evidence);
            } else if (residual.deviatesWithout(slice, covered)) {
                List<SliceNode> evidence = new ArrayList<>();
                for (SliceNode root : inside) {
                    if (absorbs.absorbs(slice, root)) {
                        evidence.add(root);
                        evidence.addAll(roots.remove(root));
                    }
                }
                roots.put(slice, evidence);
            } else {
                overlapping.forEach(root -> roots.get(root).add(slice));
            }
        }
        for (SliceNode slice : alerting) {
            if (hierarchy.scanners(slice).isEmpty()) {
                roots.put(slice, new ArrayList<>());
            }
        }
        List<Root> out = new ArrayList<>();
        // A slice across several roots is evidence of each; merged roots can list it twice.
        roots.forEach((slice, evidence) -> out.add(new Root(
                slice,
                evidence.stream().distinct().filter(e -> !e.equals(slice)).toList())));
        return out;
    }
}
