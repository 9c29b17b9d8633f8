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
 * Alerting slices are visited most specific first; for each, the roots found so far inside it are its
 * candidate explanation:
 * <ul>
 *   <li>none: the slice is a root;</li>
 *   <li>one root with the very same scanners (a one-scanner site, a software version only that scanner runs):
 *       the slice is evidence of that root;</li>
 *   <li>roots covering every scanner of the slice: one cause at this level is the simpler explanation (one
 *       root instead of several), so the slice becomes the root and they its evidence;</li>
 *   <li>roots covering part of it: if the slice still deviates with their scanners left out
 *       ({@link Residual}) it is a root of its own; otherwise it is evidence of each of them.</li>
 * </ul>
 * Pure: no Kafka, no clock; {@link Residual} says how a deviation is recomputed without some scanners.
 */
public final class RootCauses {
    private RootCauses() {}

    /** Whether a slice's deviation remains once the given scanners are left out of it. */
    @FunctionalInterface
    public interface Residual {
        boolean deviatesWithout(SliceNode slice, Set<SliceNode> excludedScanners);
    }

    /** A root and the alerting slices it explains (not including itself), most specific first. */
    public record Root(SliceNode slice, List<SliceNode> evidence) {
        public Root {
            evidence = List.copyOf(evidence);
        }
    }

    /** The roots explaining {@code alerting}; slices the hierarchy does not know are roots of their own. */
    public static List<Root> find(Set<SliceNode> alerting, SliceHierarchy hierarchy, Residual residual) {
        Map<SliceNode, List<SliceNode>> roots = new LinkedHashMap<>();
        for (SliceNode slice : hierarchy.bottomUp()) {
            if (!alerting.contains(slice)) {
                continue;
            }
            Set<SliceNode> scanners = hierarchy.scanners(slice);
            List<SliceNode> inside = new ArrayList<>();
            Set<SliceNode> covered = new HashSet<>();
            for (SliceNode root : roots.keySet()) {
                Set<SliceNode> of = hierarchy.scanners(root);
                if (scanners.containsAll(of)) {
                    inside.add(root);
                    covered.addAll(of);
                }
            }
            if (inside.isEmpty()) {
                roots.put(slice, new ArrayList<>());
            } else if (inside.size() == 1 && hierarchy.scanners(inside.get(0)).equals(scanners)) {
                roots.get(inside.get(0)).add(slice);
            } else if (covered.equals(scanners)) {
                List<SliceNode> evidence = new ArrayList<>();
                for (SliceNode root : inside) {
                    evidence.add(root);
                    evidence.addAll(roots.remove(root));
                }
                roots.put(slice, evidence);
            } else if (residual.deviatesWithout(slice, covered)) {
                roots.put(slice, new ArrayList<>());
            } else {
                inside.forEach(root -> roots.get(root).add(slice));
            }
        }
        for (SliceNode slice : alerting) {
            if (hierarchy.scanners(slice).isEmpty()) {
                roots.put(slice, new ArrayList<>());
            }
        }
        List<Root> out = new ArrayList<>();
        roots.forEach((slice, evidence) -> out.add(new Root(slice, evidence)));
        return out;
    }
}
