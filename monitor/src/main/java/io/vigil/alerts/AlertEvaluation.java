package io.vigil.alerts;

import io.vigil.events.Alert;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.ModelRef;
import io.vigil.stats.BenjaminiHochberg;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * One evaluation round of the alert rules over the latest metric snapshots: a pure function of the
 * rules, the snapshots, the previous states and the round's time.
 *
 * <p><b>False-alarm budget.</b> Every candidate of a {@code p_below} rule with a p-value and enough n,
 * across all slices, metrics, windows and models of the round, enters one Benjamini-Hochberg family at
 * level q = {@code alerts.fdr}; only rejected hypotheses may hold. So among the p-value alerts raised
 * in a round the expected share of false ones is at most q, and when nothing has changed anywhere (the
 * complete null, where a false discovery rate is the chance of any discovery) the chance that a round
 * with fresh evidence raises any false p-value alert is at most q: at most q x rounds over a period,
 * e.g. about 18 in a year of daily rounds at q = 0.05, whatever the number of slices and metrics,
 * where uncorrected tests at level q would raise q x m x rounds. Re-evaluating unchanged snapshots
 * repeats the same decision and raises nothing new. Interval rules ({@code below}, {@code above},
 * {@code outside}) are gated by the published 95% interval (one-sided error 2.5% per stream) plus
 * minimum n and for-duration; sequential detectors ({@code cusum_alarm:*} flags, {@code cusum:*}
 * thresholds) bypass BH because their budget is their in-control average run length (ARL0) per
 * stream, summed over streams.
 *
 * <p><b>Lifecycle.</b> Per fingerprint (rule, metric, model, version, slice; windows are combined:
 * holds when any window holds, or with {@code require_all_windows} when every window with a snapshot
 * holds; clears when every window clears): inactive -> pending when the
 * condition holds; pending -> firing (one {@code firing} alert) once it has held for the rule's
 * {@code forMs}; pending -> inactive if it stops holding first; firing -> resolved (one
 * {@code resolved} alert) only when the evidence is back past the limit by the hysteresis margin,
 * or when the snapshot or rule is gone. Undecided evidence (too little n, inside the hysteresis band)
 * keeps a firing alert firing.
 */
public final class AlertEvaluation {
    static final int MAX_SUMMARY = 1024;

    private final List<AlertRule> rules;
    private final Map<String, Double> targets;
    private final double fdr;

    /**
     * @param rules   the rules, evaluated in order
     * @param targets claimed performance by {@code model + "|" + metric}, overriding targets of
     *                {@code target_from: claimed} rules
     * @param fdr     false discovery rate q in (0, 1)
     */
    public AlertEvaluation(List<AlertRule> rules, Map<String, Double> targets, double fdr) {
        this.rules = List.copyOf(rules);
        this.targets = Map.copyOf(targets);
        if (!(fdr > 0 && fdr < 1)) {
            throw new IllegalArgumentException("fdr must be in (0, 1), got " + fdr);
        }
        this.fdr = fdr;
    }

    /**
     * What a round changed.
     *
     * @param upserts  states to write, by fingerprint
     * @param removals fingerprints whose state to delete (resolved, or pending that lapsed)
     * @param alerts   transitions to publish, in fingerprint order
     * @param tested   size of the round's Benjamini-Hochberg family
     * @param rejected hypotheses BH rejected
     */
    public record Result(
            Map<String, AlertState> upserts, Set<String> removals, List<Alert> alerts, int tested, int rejected) {}

    private record Candidate(
            AlertRule rule, MetricSnapshot snapshot, Double target, AlertRule.Verdict verdict, String fingerprint) {
        Candidate with(AlertRule.Verdict v) {
            return new Candidate(rule, snapshot, target, v, fingerprint);
        }
    }

    public Result evaluate(Collection<MetricSnapshot> snapshots, Map<String, AlertState> states, Instant now) {
        List<Candidate> candidates = new ArrayList<>();
        for (MetricSnapshot s : snapshots) {
            for (AlertRule rule : rules) {
                if (rule.matches(s)) {
                    Double target = target(rule, s);
                    candidates.add(new Candidate(
                            rule,
                            s,
                            target,
                            rule.verdict(s, target),
                            Fingerprints.fingerprint(
                                    rule.name(),
                                    s.metric(),
                                    s.model(),
                                    s.version(),
                                    s.sliceDimension(),
                                    s.sliceValue())));
                }
            }
        }
        // The false-alarm budget: one BH family over every p-value candidate of the round.
        List<Integer> family = new ArrayList<>();
        Set<Integer> inFamily = new HashSet<>();
        for (int i = 0; i < candidates.size(); i++) {
            Candidate c = candidates.get(i);
            Double p = c.snapshot().pValue();
            if (c.rule().usesPValue()
                    && p != null
                    && p >= 0
                    && p <= 1
                    && c.snapshot().n() >= c.rule().minN()) {
                family.add(i);
                inFamily.add(i);
            }
        }
        int rejectedCount = 0;
        if (!family.isEmpty()) {
            double[] ps = family.stream()
                    .mapToDouble(i -> candidates.get(i).snapshot().pValue())
                    .toArray();
            boolean[] rejected = BenjaminiHochberg.apply(ps, fdr).rejected();
            for (int j = 0; j < family.size(); j++) {
                int i = family.get(j);
                if (rejected[j]) {
                    rejectedCount++;
                } else if (candidates.get(i).verdict() == AlertRule.Verdict.HOLDS) {
                    candidates.set(i, candidates.get(i).with(AlertRule.Verdict.UNDECIDED));
                }
            }
        }
        // A p-value candidate outside the family (no p, small n) never holds.
        for (int i = 0; i < candidates.size(); i++) {
            Candidate c = candidates.get(i);
            if (c.rule().usesPValue() && c.verdict() == AlertRule.Verdict.HOLDS && !inFamily.contains(i)) {
                candidates.set(i, c.with(AlertRule.Verdict.UNDECIDED));
            }
        }

        Map<String, List<Candidate>> byFingerprint = new TreeMap<>();
        for (Candidate c : candidates) {
            byFingerprint
                    .computeIfAbsent(c.fingerprint(), k -> new ArrayList<>())
                    .add(c);
        }
        Map<String, AlertState> upserts = new LinkedHashMap<>();
        Set<String> removals = new HashSet<>();
        List<Alert> alerts = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Map.Entry<String, List<Candidate>> e : byFingerprint.entrySet()) {
            String fp = e.getKey();
            seen.add(fp);
            List<Candidate> cs = e.getValue();
            Candidate holding = cs.stream()
                    .filter(c -> c.verdict() == AlertRule.Verdict.HOLDS)
                    .findFirst()
                    .orElse(null);
            if (holding != null
                    && holding.rule().requireAllWindows()
                    && cs.stream().anyMatch(c -> c.verdict() != AlertRule.Verdict.HOLDS)) {
                holding = null; // e.g. 7d holds but 30d does not: not (yet) a lasting change
            }
            boolean allClear = cs.stream().allMatch(c -> c.verdict() == AlertRule.Verdict.CLEAR);
            AlertState state = states.get(fp);
            if (state == null) {
                if (holding != null) {
                    AlertState pending = new AlertState(fp, AlertState.Phase.PENDING, now, null);
                    transitionFromPending(pending, holding, now, upserts, alerts);
                }
            } else if (state.phase() == AlertState.Phase.PENDING) {
                if (holding != null) {
                    transitionFromPending(state, holding, now, upserts, alerts);
                } else {
                    removals.add(fp);
                }
            } else if (allClear) {
                alerts.add(resolved(state.firing(), cs.get(0), now));
                removals.add(fp);
            }
        }
        // Conditions whose snapshots or rules are gone: a pending one lapses, a firing one resolves.
        for (AlertState state : new TreeMap<>(states).values()) {
            if (!seen.contains(state.fingerprint())) {
                if (state.phase() == AlertState.Phase.FIRING) {
                    alerts.add(resolved(state.firing(), null, now));
                }
                removals.add(state.fingerprint());
            }
        }
        return new Result(upserts, removals, alerts, family.size(), rejectedCount);
    }

    private void transitionFromPending(
            AlertState pending, Candidate holding, Instant now, Map<String, AlertState> upserts, List<Alert> alerts) {
        if (now.toEpochMilli() - pending.pendingSince().toEpochMilli()
                >= holding.rule().forMs()) {
            Alert firing = alert(holding, Alert.Status.FIRING, now, null);
            alerts.add(firing);
            upserts.put(
                    pending.fingerprint(),
                    new AlertState(pending.fingerprint(), AlertState.Phase.FIRING, pending.pendingSince(), firing));
        } else {
            upserts.put(pending.fingerprint(), pending);
        }
    }

    /**
     * Whether one snapshot on its own shows the condition of the named rule, as a single test: the rule's
     * verdict holds, and for a {@code p_below} rule its p-value is also at most {@code maxP} (no
     * Benjamini-Hochberg family: the caller sets the level). Incidents ask it of a parent slice's other
     * scanners ({@link io.vigil.incidents.IncidentGrouping}).
     */
    public boolean shows(String ruleName, MetricSnapshot s, double maxP) {
        for (AlertRule rule : rules) {
            if (rule.name().equals(ruleName)
                    && rule.matches(s)
                    && rule.verdict(s, target(rule, s)) == AlertRule.Verdict.HOLDS
                    && (!rule.usesPValue() || (s.pValue() != null && s.pValue() <= maxP))) {
                return true;
            }
        }
        return false;
    }

    private Double target(AlertRule rule, MetricSnapshot s) {
        if (rule.targetFrom() == AlertRule.TargetFrom.CLAIMED) {
            Double claimed = targets.get(s.model() + "|" + s.metric());
            if (claimed != null) {
                return claimed;
            }
        }
        return rule.target();
    }

    private static Double referenceOf(Candidate c) {
        return switch (c.rule().condition()) {
            case BELOW, ABOVE -> c.target();
            case ABOVE_THRESHOLD -> finite(c.snapshot().upper());
            case OUTSIDE -> {
                Double est = c.snapshot().estimate();
                yield est != null && est > c.rule().high()
                        ? c.rule().high()
                        : c.rule().low();
            }
            case P_BELOW, FLAG -> null;
        };
    }

    private static Alert alert(Candidate c, Alert.Status status, Instant startedAt, Instant resolvedAt) {
        MetricSnapshot s = c.snapshot();
        return new Alert(
                Fingerprints.id(c.fingerprint(), startedAt, status),
                c.fingerprint(),
                status,
                c.rule().severity(),
                c.rule().name(),
                s.metric(),
                new ModelRef(s.model(), s.version()),
                s.sliceDimension(),
                s.sliceValue(),
                s.window(),
                observed(s),
                referenceOf(c),
                startedAt,
                resolvedAt,
                summary(c));
    }

    private static Alert resolved(Alert firing, Candidate latest, Instant now) {
        Alert.Observed observed = latest == null ? firing.observed() : observed(latest.snapshot());
        String window = latest == null ? firing.window() : latest.snapshot().window();
        return new Alert(
                Fingerprints.id(firing.fingerprint(), firing.startedAt(), Alert.Status.RESOLVED),
                firing.fingerprint(),
                Alert.Status.RESOLVED,
                firing.severity(),
                firing.rule(),
                firing.metric(),
                firing.model(),
                firing.sliceDimension(),
                firing.sliceValue(),
                window,
                observed,
                firing.reference(),
                firing.startedAt(),
                now,
                truncate("Resolved: " + firing.summary()));
    }

    private static Alert.Observed observed(MetricSnapshot s) {
        Double p = finite(s.pValue());
        return new Alert.Observed(
                finite(s.estimate()),
                finite(s.lower()),
                finite(s.upper()),
                s.n(),
                p == null || p < 0 || p > 1 ? null : p);
    }

    private static Double finite(Double d) {
        return d == null || d.isNaN() || d.isInfinite() ? null : d;
    }

    /** Fills the rule's template; values are model, slice, metric and numbers only. */
    static String summary(Candidate c) {
        MetricSnapshot s = c.snapshot();
        Map<String, String> values = new LinkedHashMap<>();
        values.put("{model}", s.model());
        values.put("{version}", s.version());
        values.put("{slice}", s.sliceDimension());
        values.put("{slice_value}", s.sliceValue());
        values.put("{metric}", s.metric());
        values.put("{window}", s.window());
        values.put("{estimate}", number(s.estimate()));
        values.put("{lower}", number(s.lower()));
        values.put("{upper}", number(s.upper()));
        values.put("{n}", Long.toString(s.n()));
        values.put("{p_value}", s.pValue() == null ? "n/a" : String.format(Locale.ROOT, "%.2g", s.pValue()));
        values.put("{target}", number(referenceOf(c)));
        String out = Objects.requireNonNull(c.rule().summary());
        for (Map.Entry<String, String> v : values.entrySet()) {
            out = out.replace(v.getKey(), v.getValue());
        }
        return truncate(out);
    }

    private static String number(Double d) {
        return d == null ? "n/a" : String.format(Locale.ROOT, "%.3g", d);
    }

    private static String truncate(String s) {
        return s.length() <= MAX_SUMMARY ? s : s.substring(0, MAX_SUMMARY - 1) + "…";
    }
}
