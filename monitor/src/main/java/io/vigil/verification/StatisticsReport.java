package io.vigil.verification;

import java.util.ArrayList;
import java.util.List;

/** The table {@code vigil verify-statistics} prints: one row per claim, Markdown. */
public final class StatisticsReport {
    private StatisticsReport() {}

    /** Every claim the project makes or measures: interval coverage, then alert decisions. */
    public static List<Claim> allClaims() {
        List<Claim> claims = new ArrayList<>(IntervalClaims.all());
        claims.addAll(AlertClaims.all());
        return claims;
    }

    /** Runs every claim and returns the results in order. */
    public static List<MonteCarlo.Result> run(List<Claim> claims, int replicates, long seed) {
        List<MonteCarlo.Result> out = new ArrayList<>();
        for (Claim c : claims) {
            out.add(MonteCarlo.run(c, replicates, seed));
        }
        return out;
    }

    /** Markdown table: quantity, setting, nominal, measured, Monte-Carlo SE, replicates, verdict. */
    public static List<String> table(List<MonteCarlo.Result> results) {
        List<String> lines = new ArrayList<>();
        lines.add("| quantity | setting | nominal | measured | MC SE | replicates | verdict |");
        lines.add("|---|---|---|---|---|---|---|");
        for (MonteCarlo.Result r : results) {
            String verdict = r.meetsNominal()
                    ? "holds"
                    : r.claim().status() == Claim.Status.CLAIMED ? "FAILS" : "known shortfall";
            lines.add(String.format(
                    "| %s | %s | %.3f | %.3f | %.3f | %,d | %s |",
                    r.claim().quantity(),
                    r.claim().setting(),
                    r.claim().nominal(),
                    r.measured(),
                    r.standardError(),
                    r.replicates(),
                    verdict));
        }
        return lines;
    }

    /** Whether every claim the project makes ({@link Claim.Status#CLAIMED}) met its nominal rate. */
    public static boolean claimsHold(List<MonteCarlo.Result> results) {
        return results.stream()
                .filter(r -> r.claim().status() == Claim.Status.CLAIMED)
                .allMatch(MonteCarlo.Result::meetsNominal);
    }
}
