package io.vigil.incidents;

import io.vigil.events.Alert;
import io.vigil.events.Incident;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.ModelRef;
import io.vigil.events.ScannerSighting;
import io.vigil.events.Slice;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * One round of incident grouping: the firing alerts of each model version are grouped under their roots
 * ({@link RootCauses}) and matched to the open incidents of the previous round, so that an incident keeps its
 * id while its root moves as evidence arrives (a site alerts first, then the one scanner that explains it).
 * Pure: the caller supplies the firing alerts, the scanner sightings, the latest snapshots, the open
 * incidents and the round's time.
 *
 * <p><b>Residual.</b> A parent slice with an alerting slice inside it is evidence of that root unless it still
 * deviates without the root's scanners. Without per-subset aggregates, "still deviates" is read from the
 * parent's other scanners: one of them shows the condition of one of the parent's alerting rules on its own
 * ({@link Shows}; p-value rules at {@value #RESIDUAL_P} divided by the number of those scanners, Bonferroni).
 * A change spread thinly over many scanners, each too small to show alone, therefore counts as evidence of
 * the root inside the parent: it is never hidden (every firing alert is a member of some incident and the
 * parent's alerts are listed), only attributed to the scanner that stood out.
 *
 * <p><b>Severity.</b> Only a group with an alert of at least the configured severity (default {@code warning})
 * is an incident: {@code info} alerts (a new software version, verification bias, few labels yet) join the
 * incident whose root explains them, and otherwise stay alerts, on the page and the alert webhooks.
 *
 * <p><b>Matching.</b> A group whose root is the root of an open incident continues it; otherwise the open
 * incident sharing most member alerts with it does (its root changed); otherwise it opens a new incident
 * ({@code id} from model, version, root and the round's time). An open incident no group continues resolves.
 */
public final class IncidentGrouping {
    /** Family-wise level of the "does the parent's remainder deviate" check over its other scanners. */
    static final double RESIDUAL_P = 0.01;
    /** Most software changes listed per incident. */
    static final int MAX_CHANGES = 5;

    /** Whether a snapshot on its own shows the condition of a rule (single test at {@code maxP}). */
    @FunctionalInterface
    public interface Shows {
        boolean shows(String rule, MetricSnapshot snapshot, double maxP);
    }

    /**
     * What a round changed.
     *
     * @param open        the incidents open after the round, by id (the state to keep)
     * @param removals    ids of incidents that resolved this round (state to delete)
     * @param transitions incidents to publish: opened, root changed, escalated, updated or resolved
     */
    public record Result(Map<String, Incident> open, Set<String> removals, List<Incident> transitions) {}

    private final Shows shows;
    private final Alert.Severity minSeverity;

    /** @param minSeverity least severity that opens an incident: a group of alerts all below it is no incident */
    public IncidentGrouping(Shows shows, Alert.Severity minSeverity) {
        this.shows = Objects.requireNonNull(shows, "shows");
        this.minSeverity = Objects.requireNonNull(minSeverity, "minSeverity");
    }

    /** One round; {@code previous} are the incidents open before it, by id. */
    public Result round(
            Collection<Alert> firing,
            Collection<ScannerSighting> sightings,
            Collection<MetricSnapshot> snapshots,
            Map<String, Incident> previous,
            Instant now) {
        Map<ModelRef, List<Alert>> byVersion =
                new TreeMap<>(Comparator.comparing(ModelRef::id).thenComparing(ModelRef::version));
        for (Alert a : firing) {
            if (a.status() == Alert.Status.FIRING) {
                byVersion.computeIfAbsent(a.model(), k -> new ArrayList<>()).add(a);
            }
        }
        Map<ModelRef, List<Incident>> previousByVersion = new HashMap<>();
        new TreeMap<>(previous)
                .values()
                .forEach(i -> previousByVersion
                        .computeIfAbsent(i.model(), k -> new ArrayList<>())
                        .add(i));
        Map<String, Incident> open = new LinkedHashMap<>();
        List<Incident> transitions = new ArrayList<>();
        Set<String> continued = new HashSet<>();
        for (Map.Entry<ModelRef, List<Alert>> e : byVersion.entrySet()) {
            ModelRef model = e.getKey();
            List<ScannerSighting> seen = sightings.stream()
                    .filter(s -> s.model().equals(model.id()) && s.version().equals(model.version()))
                    .toList();
            List<MetricSnapshot> versionSnapshots = snapshots.stream()
                    .filter(s -> s.model().equals(model.id()) && s.version().equals(model.version()))
                    .toList();
            List<Group> groups = groups(e.getValue(), seen, versionSnapshots).stream()
                    .filter(g -> Stream.concat(g.rootAlerts().stream(), g.evidence().stream())
                            .anyMatch(a -> a.severity().compareTo(minSeverity) >= 0))
                    .toList();
            List<Incident> candidates = new ArrayList<>(previousByVersion.getOrDefault(model, List.of()));
            Map<Group, Incident> matched = match(groups, candidates);
            for (Group g : groups) {
                Incident before = matched.get(g);
                Incident now1 = incident(model, g, before, seen, versionSnapshots, now);
                open.put(now1.id(), now1);
                if (before != null) {
                    continued.add(before.id());
                }
                if (!"unchanged".equals(now1.transition())) {
                    transitions.add(now1);
                }
            }
        }
        Set<String> removals = new LinkedHashSet<>();
        for (Incident i : new TreeMap<>(previous).values()) {
            if (!continued.contains(i.id())) {
                removals.add(i.id());
                transitions.add(new Incident(
                        i.id(),
                        Incident.Status.RESOLVED,
                        "resolved",
                        i.severity(),
                        i.model(),
                        i.root(),
                        i.firstDetected(),
                        now,
                        now,
                        i.changeAt(),
                        i.acquisitionChanges(),
                        i.alerts(),
                        "Resolved: " + i.summary()));
            }
        }
        // Unchanged incidents are kept as they were, with their last transition name.
        Map<String, Incident> kept = new LinkedHashMap<>();
        open.forEach((id, i) -> kept.put(id, "unchanged".equals(i.transition()) ? previous.get(id) : i));
        return new Result(kept, removals, transitions);
    }

    /** A root slice with the alerts that are on it and on the slices it explains. */
    private record Group(SliceNode root, List<Alert> rootAlerts, List<Alert> evidence) {
        Set<String> fingerprints() {
            Set<String> out = new TreeSet<>();
            rootAlerts.forEach(a -> out.add(a.fingerprint()));
            evidence.forEach(a -> out.add(a.fingerprint()));
            return out;
        }
    }

    /** The slice dimensions of the scanner hierarchy; other dimensions cut across scanners. */
    private static final Set<String> HIERARCHY = Set.of("all", "site", "scanner", "scanner_model", "software");

    /**
     * Roots in two passes. Per rule: the roots of that rule's alerting slices (whether a parent deviates beyond
     * its alerting children is asked of the same rule's condition). Across rules: the per-rule roots, with the
     * alerts on them, are rooted again, so one change seen by different rules at different levels (a CUSUM at
     * the fleet, a calibration shift at one software version, a flip rate at a site) becomes one incident at
     * the widest slice that deviates on its own; a second, unrelated cause nested inside it is listed among
     * its evidence rather than paged separately.
     */
    private List<Group> groups(List<Alert> alerts, List<ScannerSighting> seen, List<MetricSnapshot> snapshots) {
        SliceHierarchy hierarchy = new SliceHierarchy();
        for (ScannerSighting s : seen) {
            hierarchy.scanner(s.scanner(), s.site(), s.scannerModel(), s.software());
        }
        Map<String, Map<SliceNode, List<Alert>>> byRule = new TreeMap<>();
        alerts.stream()
                .sorted(Comparator.comparing(Alert::sliceDimension)
                        .thenComparing(Alert::sliceValue)
                        .thenComparing(Alert::rule)
                        .thenComparing(Alert::metric))
                .forEach(a -> {
                    SliceNode slice = new SliceNode(a.sliceDimension(), a.sliceValue());
                    if (!HIERARCHY.contains(slice.dimension()) && !seen.isEmpty()) {
                        hierarchy.crossCutting(slice);
                    }
                    byRule.computeIfAbsent(a.rule(), k -> new LinkedHashMap<>())
                            .computeIfAbsent(slice, k -> new ArrayList<>())
                            .add(a);
                });
        Map<String, List<MetricSnapshot>> scannerSnapshots = new HashMap<>();
        for (MetricSnapshot s : snapshots) {
            if (s.sliceDimension().equals("scanner")) {
                scannerSnapshots
                        .computeIfAbsent(s.sliceValue(), k -> new ArrayList<>())
                        .add(s);
            }
        }
        // Pass 1: per rule.
        Map<SliceNode, List<Alert>> onRoot = new LinkedHashMap<>();
        Map<SliceNode, List<Alert>> explained = new LinkedHashMap<>();
        for (Map<SliceNode, List<Alert>> bySlice : byRule.values()) {
            for (RootCauses.Root root :
                    RootCauses.find(bySlice.keySet(), hierarchy, residual(hierarchy, bySlice, scannerSnapshots))) {
                onRoot.computeIfAbsent(root.slice(), k -> new ArrayList<>()).addAll(bySlice.get(root.slice()));
                List<Alert> evidence = explained.computeIfAbsent(root.slice(), k -> new ArrayList<>());
                root.evidence().forEach(slice -> evidence.addAll(bySlice.getOrDefault(slice, List.of())));
            }
        }
        // Pass 2: across rules, over the per-rule roots and the alerts on them.
        List<Group> out = new ArrayList<>();
        for (RootCauses.Root root :
                RootCauses.find(onRoot.keySet(), hierarchy, residual(hierarchy, onRoot, scannerSnapshots))) {
            List<Alert> evidence = new ArrayList<>(explained.getOrDefault(root.slice(), List.of()));
            for (SliceNode slice : root.evidence()) {
                evidence.addAll(onRoot.getOrDefault(slice, List.of()));
                evidence.addAll(explained.getOrDefault(slice, List.of()));
            }
            out.add(new Group(
                    root.slice(),
                    onRoot.get(root.slice()),
                    evidence.stream().distinct().toList()));
        }
        return out;
    }

    /**
     * Whether a slice still deviates without some scanners: one of its other scanners shows, on its own, the
     * condition of one of the slice's alerts (same rule and metric), at {@value #RESIDUAL_P} over their number.
     */
    private RootCauses.Residual residual(
            SliceHierarchy hierarchy,
            Map<SliceNode, List<Alert>> bySlice,
            Map<String, List<MetricSnapshot>> scannerSnapshots) {
        return (slice, excluded) -> {
            List<SliceNode> others = hierarchy.scanners(slice).stream()
                    .filter(s -> !excluded.contains(s))
                    .toList();
            if (others.isEmpty()) {
                return false;
            }
            double level = RESIDUAL_P / others.size();
            for (Alert a : bySlice.getOrDefault(slice, List.of())) {
                for (SliceNode scanner : others) {
                    for (MetricSnapshot s : scannerSnapshots.getOrDefault(scanner.value(), List.of())) {
                        if (s.metric().equals(a.metric()) && shows.shows(a.rule(), s, level)) {
                            return true;
                        }
                    }
                }
            }
            return false;
        };
    }

    /** Each group's open incident, if any: same root first, then most shared member alerts. */
    private static Map<Group, Incident> match(List<Group> groups, List<Incident> candidates) {
        Map<Group, Incident> out = new HashMap<>();
        List<Incident> free = new ArrayList<>(candidates);
        for (Group g : groups) {
            for (Incident i : free) {
                if (i.root().size() == 1
                        && i.root().get(0).dimension().equals(g.root().dimension())
                        && i.root().get(0).value().equals(g.root().value())) {
                    out.put(g, i);
                    free.remove(i);
                    break;
                }
            }
        }
        for (Group g : groups) {
            if (out.containsKey(g)) {
                continue;
            }
            Set<String> fps = g.fingerprints();
            Incident best = null;
            long bestShared = 0;
            for (Incident i : free) {
                long shared = i.alerts().stream()
                        .filter(m -> fps.contains(m.fingerprint()))
                        .count();
                if (shared > bestShared) {
                    best = i;
                    bestShared = shared;
                }
            }
            if (best != null) {
                out.put(g, best);
                free.remove(best);
            }
        }
        return out;
    }

    private static Incident incident(
            ModelRef model,
            Group g,
            Incident before,
            List<ScannerSighting> seen,
            List<MetricSnapshot> snapshots,
            Instant now) {
        List<Incident.Member> members = new ArrayList<>();
        g.rootAlerts().forEach(a -> members.add(member(a, "root")));
        g.evidence().forEach(a -> members.add(member(a, "evidence")));
        Alert.Severity severity = Alert.Severity.INFO;
        for (Incident.Member m : members) {
            if (m.severity() != null && m.severity().compareTo(severity) > 0) {
                severity = m.severity();
            }
        }
        List<Slice> root = List.of(new Slice(g.root().dimension(), g.root().value()));
        Set<String> scanners = scannersUnder(g.root(), seen);
        List<String> changes = softwareChanges(scanners, seen);
        Instant changeAt = changeStart(g.root(), snapshots);
        String transition;
        String id;
        Instant firstDetected;
        if (before == null) {
            transition = "opened";
            id = id(model, g.root(), now);
            firstDetected = now;
        } else {
            id = before.id();
            firstDetected = before.firstDetected();
            Set<String> was = new TreeSet<>();
            before.alerts().forEach(m -> was.add(m.fingerprint()));
            if (!before.root().equals(root)) {
                transition = "root_changed";
            } else if (severity.compareTo(before.severity()) > 0) {
                transition = "escalated";
            } else if (!was.equals(g.fingerprints())
                    || severity != before.severity()
                    || !Objects.equals(changeAt, before.changeAt())
                    || !changes.equals(before.acquisitionChanges())) {
                transition = "updated";
            } else {
                transition = "unchanged";
            }
        }
        return new Incident(
                id,
                Incident.Status.FIRING,
                transition,
                severity,
                model,
                root,
                firstDetected,
                now,
                null,
                changeAt,
                changes,
                members,
                summary(model, g, members, changes));
    }

    private static Incident.Member member(Alert a, String role) {
        return new Incident.Member(
                a.fingerprint(),
                a.rule(),
                a.metric(),
                a.severity(),
                a.sliceDimension(),
                a.sliceValue(),
                a.window(),
                a.startedAt(),
                role);
    }

    /** The scanners seen under a root slice (the slice itself when it is a scanner). */
    private static Set<String> scannersUnder(SliceNode root, List<ScannerSighting> seen) {
        Set<String> out = new TreeSet<>();
        for (ScannerSighting s : seen) {
            boolean under = switch (root.dimension()) {
                case "all" -> true;
                case "site" -> s.site().equals(root.value());
                case "scanner" -> s.scanner().equals(root.value());
                case "scanner_model" -> s.scannerModel().equals(root.value());
                case "software" -> s.software().equals(root.value());
                default -> false;
            };
            if (under) {
                out.add(s.scanner());
            }
        }
        return out;
    }

    /**
     * Software changes of these scanners, latest first: for each scanner, its versions ordered by first
     * sighting (earliest across partitions), and a change where one follows another.
     */
    static List<String> softwareChanges(Set<String> scanners, List<ScannerSighting> seen) {
        record Change(Instant at, String text) {}
        List<Change> changes = new ArrayList<>();
        for (String scanner : scanners) {
            Map<String, Instant> firstSeen = new HashMap<>();
            for (ScannerSighting s : seen) {
                if (s.scanner().equals(scanner)) {
                    firstSeen.merge(s.software(), s.firstSeen(), (a, b) -> a.isBefore(b) ? a : b);
                }
            }
            List<Map.Entry<String, Instant>> ordered = new ArrayList<>(firstSeen.entrySet());
            ordered.sort(Map.Entry.<String, Instant>comparingByValue().thenComparing(Map.Entry.comparingByKey()));
            for (int i = 1; i < ordered.size(); i++) {
                Instant at = ordered.get(i).getValue();
                changes.add(new Change(
                        at,
                        scanner + ": software " + ordered.get(i - 1).getKey() + " -> "
                                + ordered.get(i).getKey() + " on "
                                + at.atOffset(ZoneOffset.UTC).toLocalDate()));
            }
        }
        changes.sort(Comparator.comparing(Change::at).reversed().thenComparing(Change::text));
        return changes.stream().limit(MAX_CHANGES).map(Change::text).toList();
    }

    /** The earliest start of a CUSUM change in alarm on the root slice, or null. */
    static Instant changeStart(SliceNode root, List<MetricSnapshot> snapshots) {
        Map<String, MetricSnapshot> alarms = new HashMap<>();
        for (MetricSnapshot s : snapshots) {
            if (s.sliceDimension().equals(root.dimension())
                    && s.sliceValue().equals(root.value())
                    && s.metric().startsWith("cusum_alarm:")) {
                alarms.put(s.window() + "|" + s.metric().substring("cusum_alarm:".length()), s);
            }
        }
        Instant earliest = null;
        for (MetricSnapshot s : snapshots) {
            if (s.sliceDimension().equals(root.dimension())
                    && s.sliceValue().equals(root.value())
                    && s.metric().startsWith("cusum_change_start:")
                    && s.estimate() != null
                    && Double.isFinite(s.estimate())) {
                MetricSnapshot alarm =
                        alarms.get(s.window() + "|" + s.metric().substring("cusum_change_start:".length()));
                if (alarm != null && alarm.estimate() != null && alarm.estimate() >= 0.5) {
                    Instant at = Instant.ofEpochMilli(Math.round(s.estimate() * 1000));
                    if (earliest == null || at.isBefore(earliest)) {
                        earliest = at;
                    }
                }
            }
        }
        return earliest;
    }

    private static String summary(ModelRef model, Group g, List<Incident.Member> members, List<String> changes) {
        Set<String> rules = new TreeSet<>();
        Set<String> slices = new LinkedHashSet<>();
        members.forEach(m -> {
            rules.add(m.rule());
            slices.add(m.sliceDimension() + "=" + m.sliceValue());
        });
        StringBuilder b = new StringBuilder();
        b.append(g.root())
                .append(" of ")
                .append(model.id())
                .append(' ')
                .append(model.version())
                .append(": ")
                .append(members.size())
                .append(members.size() == 1 ? " alert" : " alerts")
                .append(" on ")
                .append(slices.size())
                .append(slices.size() == 1 ? " slice" : " slices")
                .append(" (")
                .append(String.join(", ", rules))
                .append(')');
        if (!changes.isEmpty()) {
            b.append("; ").append(changes.get(0));
        }
        return b.length() > 1024 ? b.substring(0, 1024) : b.toString();
    }

    private static String id(ModelRef model, SliceNode root, Instant at) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {
                model.id(), model.version(), root.dimension(), root.value(), Long.toString(at.toEpochMilli())
            }) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return "inc-" + HexFormat.of().formatHex(sha.digest(), 0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
