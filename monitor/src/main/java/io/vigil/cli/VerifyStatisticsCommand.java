package io.vigil.cli;

import io.vigil.verification.ClusteredIntervalClaims;
import io.vigil.verification.DriftClaims;
import io.vigil.verification.EstimationClaims;
import io.vigil.verification.MonteCarlo;
import io.vigil.verification.OutcomeRunLengthClaims;
import io.vigil.verification.RunLengthClaims;
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
@Command(
        name = "verify-statistics",
        mixinStandardHelpOptions = true,
        versionProvider = Vigil.Version.class,
        description = "Measure, by Monte-Carlo through the production code, the coverage of Vigil's intervals "
                + "(patient-wise ones included), the worst slice's simultaneous intervals, the label-free estimates' intervals, the decisions of "
                + "its alert rules, the null false-positive rate of its drift p-values and the in-control run length "
                + "and detection delay of its CUSUMs; print quantity, setting, nominal, measured and Monte-Carlo SE.")
final class VerifyStatisticsCommand implements Callable<Integer> {

    @Option(
            names = "--replicates",
            description = "Replicates per interval and alert claim (default ${DEFAULT-VALUE}; 0 " + "skips them).")
    int replicates = 2_000;

    @Option(
            names = "--patient-wise-replicates",
            description = "Replicates per patient-wise interval claim, whose windows hold patients with repeat "
                    + "studies (default ${DEFAULT-VALUE}; 0 skips them).")
    int patientWiseReplicates = 2_000;

    @Option(
            names = "--drift-replicates",
            description = "Replicates per drift claim, whose trials histogram up to "
                    + "2,000,000 values each (default ${DEFAULT-VALUE}; 0 skips them).")
    int driftReplicates = 500;

    @Option(
            names = "--run-length-streams",
            description =
                    "Simulated streams per CUSUM run-length experiment " + "(default ${DEFAULT-VALUE}; 0 skips them).")
    int runLengthStreams = 2_000;

    @Option(names = "--seed", description = "Seed (default ${DEFAULT-VALUE}); the same seed gives the same table.")
    long seed = 20_261_203L;

    @Override
    public Integer call() {
        List<MonteCarlo.Result> results = new ArrayList<>();
        if (replicates > 0) {
            results.addAll(StatisticsReport.run(StatisticsReport.allClaims(), replicates, seed));
            results.addAll(StatisticsReport.run(WorstSliceClaims.all(), replicates, seed));
            results.addAll(StatisticsReport.run(EstimationClaims.all(), replicates, seed));
        }
        if (patientWiseReplicates > 0) {
            results.addAll(StatisticsReport.run(ClusteredIntervalClaims.all(), patientWiseReplicates, seed));
        }
        if (driftReplicates > 0) {
            results.addAll(StatisticsReport.run(DriftClaims.all(), driftReplicates, seed));
        }
        if (!results.isEmpty()) {
            StatisticsReport.table(results).forEach(System.out::println);
        }
        boolean hold = StatisticsReport.claimsHold(results);
        if (runLengthStreams > 0) {
            List<RunLengthClaims.Result> inControl = new ArrayList<>();
            for (RunLengthClaims.Experiment e : RunLengthClaims.inControl()) {
                RunLengthClaims.Result r = RunLengthClaims.runLength(e, runLengthStreams, seed);
                inControl.add(r);
                hold &= r.holds();
            }
            for (RunLengthClaims.Experiment e : RunLengthClaims.before()) {
                inControl.add(RunLengthClaims.runLength(e, runLengthStreams, seed));
            }
            for (RunLengthClaims.Experiment e : RunLengthClaims.flipRateBefore()) {
                inControl.add(RunLengthClaims.runLength(e, runLengthStreams, seed));
            }
            for (RunLengthClaims.Experiment e : RunLengthClaims.sensitivityBefore()) {
                inControl.add(RunLengthClaims.runLength(e, runLengthStreams, seed));
            }
            List<RunLengthClaims.Result> delays = new ArrayList<>();
            for (RunLengthClaims.Experiment e : RunLengthClaims.delays()) {
                delays.add(RunLengthClaims.delay(e, runLengthStreams, seed));
            }
            System.out.println();
            RunLengthClaims.table(inControl, delays).forEach(System.out::println);
            List<OutcomeRunLengthClaims.Result> outcomeInControl = new ArrayList<>();
            for (OutcomeRunLengthClaims.Experiment e : OutcomeRunLengthClaims.inControl()) {
                OutcomeRunLengthClaims.Result r = OutcomeRunLengthClaims.runLength(e, runLengthStreams, seed);
                outcomeInControl.add(r);
                hold &= r.holdsOrConservative();
            }
            for (OutcomeRunLengthClaims.Experiment e : OutcomeRunLengthClaims.labelDelays()) {
                OutcomeRunLengthClaims.Result r = OutcomeRunLengthClaims.runLength(e, runLengthStreams, seed);
                outcomeInControl.add(r);
                hold &= r.holdsOrConservative();
            }
            for (OutcomeRunLengthClaims.Experiment e : OutcomeRunLengthClaims.labelDelaysBefore()) {
                outcomeInControl.add(OutcomeRunLengthClaims.runLength(e, runLengthStreams, seed));
            }
            List<OutcomeRunLengthClaims.Result> outcomeDelays = new ArrayList<>();
            for (OutcomeRunLengthClaims.Experiment e : OutcomeRunLengthClaims.delays()) {
                outcomeDelays.add(OutcomeRunLengthClaims.delay(e, runLengthStreams, seed));
            }
            System.out.println();
            OutcomeRunLengthClaims.table(outcomeInControl, outcomeDelays).forEach(System.out::println);
        }
        return hold ? 0 : 1;
    }
}
