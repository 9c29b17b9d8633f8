package io.vigil.app;

import io.vigil.verification.DriftClaims;
import io.vigil.verification.MonteCarlo;
import io.vigil.verification.StatisticsReport;
import io.vigil.verification.WorstSliceClaims;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vigil verify-statistics}: the Monte-Carlo experiments behind Vigil's statistical claims, run
 * through the production classes, printed as a table. Exit 0 when every claim the project makes holds
 * (measured ≥ nominal − 3 Monte-Carlo SE), 1 otherwise; known shortfalls are shown, not claimed.
 */
@Command(name = "verify-statistics", mixinStandardHelpOptions = true, versionProvider = Vigil.Version.class,
        description = "Measure, by Monte-Carlo through the production code, the coverage of Vigil's intervals, "
                + "the worst slice's simultaneous intervals, the decisions of its alert rules and the null "
                + "false-positive rate of its drift p-values; print "
                + "quantity, setting, nominal, measured and Monte-Carlo SE.")
final class VerifyStatisticsCommand implements Callable<Integer> {

    @Option(names = "--replicates", description = "Replicates per claim (default ${DEFAULT-VALUE}).")
    int replicates = 2_000;

    @Option(names = "--drift-replicates", description = "Replicates per drift claim, whose trials sketch up to "
            + "400,000 values each (default ${DEFAULT-VALUE}).")
    int driftReplicates = 500;

    @Option(names = "--seed", description = "Seed (default ${DEFAULT-VALUE}); the same seed gives the same table "
            + "(drift rows to within their Monte-Carlo error: the sketch library seeds itself).")
    long seed = 20_261_203L;

    @Override
    public Integer call() {
        List<MonteCarlo.Result> results = new ArrayList<>(StatisticsReport.run(StatisticsReport.allClaims(),
                replicates, seed));
        results.addAll(StatisticsReport.run(WorstSliceClaims.all(), replicates, seed));
        results.addAll(StatisticsReport.run(DriftClaims.all(), driftReplicates, seed));
        StatisticsReport.table(results).forEach(System.out::println);
        return StatisticsReport.claimsHold(results) ? 0 : 1;
    }
}
