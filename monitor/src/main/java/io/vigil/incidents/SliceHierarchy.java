package io.vigil.incidents;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which scanners lie under which slice, for one model version: a scanner is in its site, its scanner model,
 * its software version and {@code all}. Built from the scanners Vigil has seen (each with its site, model and
 * software); every slice is then the set of its scanners, so "is below" and "every scanner of" are exact.
 * Sex, age band and attribute slices cut across scanners and are not part of it.
 */
public final class SliceHierarchy {
    private final Map<SliceNode, Set<SliceNode>> scannersOf = new HashMap<>();
    private final Set<SliceNode> crossCutting = new java.util.HashSet<>();

    /** Adds a scanner (site-qualified value, e.g. {@code S02/CT-2}) with the slices above it. */
    public SliceHierarchy scanner(String scanner, String site, String scannerModel, String software) {
        SliceNode s = new SliceNode("scanner", scanner);
        for (SliceNode parent : List.of(
                s,
                SliceNode.ALL,
                new SliceNode("site", site),
                new SliceNode("scanner_model", scannerModel),
                new SliceNode("software", software))) {
            scannersOf.computeIfAbsent(parent, k -> new LinkedHashSet<>()).add(s);
        }
        return this;
    }

    /**
     * Adds a slice that cuts across scanners (sex, age band, a configured attribute): it may hold studies of
     * every scanner, so it is placed with all of them, beside {@code all} and after it in {@link #bottomUp()}.
     * Call after every scanner is added.
     */
    public SliceHierarchy crossCutting(SliceNode slice) {
        scannersOf.put(slice, new LinkedHashSet<>(scannersOf.getOrDefault(SliceNode.ALL, Set.of())));
        crossCutting.add(slice);
        return this;
    }

    /** Whether a slice was added by {@link #crossCutting}: it can explain nothing in the hierarchy. */
    public boolean isCrossCutting(SliceNode slice) {
        return crossCutting.contains(slice);
    }

    /** The scanners in a slice; empty for a slice this hierarchy does not know. */
    public Set<SliceNode> scanners(SliceNode slice) {
        return Collections.unmodifiableSet(scannersOf.getOrDefault(slice, Set.of()));
    }

    /** Whether {@code inner} lies strictly inside {@code outer}: its scanners a proper subset of outer's. */
    public boolean isBelow(SliceNode inner, SliceNode outer) {
        Set<SliceNode> in = scannersOf.get(inner);
        Set<SliceNode> out = scannersOf.get(outer);
        return in != null && out != null && !inner.equals(outer) && out.containsAll(in) && out.size() > in.size();
    }

    /**
     * Known slices, the most specific (fewest scanners) first; among slices with as many scanners, a scanner
     * before its site, software, scanner model, {@code all} and cross-cutting slices (a one-scanner site is
     * that scanner), then by dimension and value.
     */
    public List<SliceNode> bottomUp() {
        List<SliceNode> out = new ArrayList<>(scannersOf.keySet());
        out.sort(Comparator.<SliceNode>comparingInt(n -> scannersOf.get(n).size())
                .thenComparingInt(n -> ORDER.contains(n.dimension()) ? ORDER.indexOf(n.dimension()) : ORDER.size())
                .thenComparing(SliceNode::dimension)
                .thenComparing(SliceNode::value));
        return out;
    }

    private static final List<String> ORDER = List.of("scanner", "site", "software", "scanner_model", "all");
}
