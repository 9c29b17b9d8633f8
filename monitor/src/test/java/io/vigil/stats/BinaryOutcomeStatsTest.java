package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.vigil.stats.golden.Golden;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class BinaryOutcomeStatsTest {

    private static BinaryOutcomeStats of(List<Golden.Row> rows, double threshold) {
        BinaryOutcomeStats s = new BinaryOutcomeStats(threshold);
        rows.forEach(r -> s.add(r.score(), r.label()));
        return s;
    }

    @Test
    void shouldEqualOtherHalfWhenRandomHalfIsRemoved() {
        SplittableRandom rnd = new SplittableRandom(20261121);
        List<Golden.Row> rows = Golden.wdbc();
        List<Golden.Row> dropped = new ArrayList<>();
        List<Golden.Row> kept = new ArrayList<>();
        rows.forEach(r -> (rnd.nextBoolean() ? dropped : kept).add(r));
        BinaryOutcomeStats all = of(rows, 0.5);
        dropped.forEach(r -> all.remove(r.score(), r.label()));
        BinaryOutcomeStats expected = of(kept, 0.5);
        assertThat(all).isEqualTo(expected);
        assertThat(all.toBytes()).isEqualTo(expected.toBytes());
        assertThat(all.auc()).isEqualTo(expected.auc());
        assertThat(all.recalibrationFit()).isEqualTo(expected.recalibrationFit());
        assertThat(all.calibration().brier()).isEqualTo(expected.calibration().brier());
    }

    @Test
    void shouldRestoreEmptyStateWhenEverythingIsRemoved() {
        BinaryOutcomeStats s = of(Golden.fleet(), 0.5);
        Golden.fleet().forEach(r -> s.remove(r.score(), r.label()));
        assertThat(s).isEqualTo(new BinaryOutcomeStats(0.5));
        assertThat(s.auc()).isEqualTo(AucEstimate.EMPTY);
        assertThat(s.confusion().sensitivity()).isEqualTo(Estimate.EMPTY);
        assertThat(s.calibration().ece()).isEqualTo(Estimate.EMPTY);
        assertThat(s.recalibrationFit()).isEqualTo(RecalibrationFit.EMPTY);
    }

    @Test
    void shouldReplaceOutcomeWhenLabelIsCorrected() {
        BinaryOutcomeStats s = new BinaryOutcomeStats(0.5);
        s.add(0.7, 0);
        s.add(0.2, 0);
        s.remove(0.7, 0);
        s.add(0.7, 1);
        BinaryOutcomeStats expected = new BinaryOutcomeStats(0.5);
        expected.add(0.2, 0);
        expected.add(0.7, 1);
        assertThat(s).isEqualTo(expected);
        assertThat(s.confusion().tp()).isEqualTo(1);
    }

    @Test
    void shouldEqualWholeWhenPerScannerSlicesAreMerged() {
        BinaryOutcomeStats whole = of(Golden.fleet(), 0.5);
        BinaryOutcomeStats merged = new BinaryOutcomeStats(0.5);
        Golden.fleet().stream()
                .map(Golden.Row::slice)
                .distinct()
                .forEach(scanner -> merged.merge(of(
                        Golden.fleet().stream()
                                .filter(r -> r.slice().equals(scanner))
                                .toList(),
                        0.5)));
        assertThat(merged).isEqualTo(whole);
        assertThat(merged.auc()).isEqualTo(whole.auc());
        assertThat(merged.calibration().reliabilityBins())
                .isEqualTo(whole.calibration().reliabilityBins());
    }

    @Test
    void shouldRoundTripWhenSerialised() {
        BinaryOutcomeStats s = of(Golden.fleet(), 0.5);
        byte[] bytes = s.toBytes();
        BinaryOutcomeStats back = BinaryOutcomeStats.fromBytes(bytes);
        assertThat(back).isEqualTo(s);
        assertThat(back.recalibrationFit()).isEqualTo(s.recalibrationFit());
        assertThat(BinaryOutcomeStats.fromBytes(new BinaryOutcomeStats(0.3).toBytes()))
                .isEqualTo(new BinaryOutcomeStats(0.3));
        // bounded by bins: far below one record per event (24,000 events)
        assertThat(bytes.length).isLessThan(150_000);
    }

    @Test
    void shouldLeaveStateUnchangedWhenRemovalIsRejected() {
        BinaryOutcomeStats s = new BinaryOutcomeStats(0.5);
        s.add(0.62, 1);
        s.add(0.61, 0);
        byte[] before = s.toBytes();
        // same confusion cell (fp) and calibration bin, but no ROC entry at 0.64
        s.add(0.64, 0);
        s.remove(0.64, 0);
        assertThat(s.toBytes()).isEqualTo(before);
        assertThatThrownBy(() -> s.remove(0.63, 0)).isInstanceOf(IllegalStateException.class);
        assertThat(s.toBytes()).isEqualTo(before);
    }

    @Test
    void shouldGiveTheObservedExpectedDayOfItsLabelledCasesWithinHalfABinPerCase() {
        // 3,000 cases, scores ~ Beta(1, 4) with the edges 0 and 1 among them, outcome ~ Bernoulli(score); then a
        // third removed. O exact, Σ p to 1e-9 per case, Σ p (1 − p) and Σ p (1 − p)(1 − 2p) within 5e-6 per case (half
        // a bin of
        // 1e-5, both derivatives in [−1, 1]), checked against the sums over the scores themselves.
        SplittableRandom rnd = new SplittableRandom(20_261_204L);
        BinaryOutcomeStats s = new BinaryOutcomeStats(0.5);
        List<double[]> cases = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            double p = i == 0 ? 0.0 : i == 1 ? 1.0 : 1 - Math.pow(rnd.nextDouble(), 0.25);
            int y = rnd.nextDouble() < p ? 1 : 0;
            cases.add(new double[] {p, y});
            s.add(p, y);
        }
        for (int i = 2_000; i < 3_000; i++) {
            s.remove(cases.get(i)[0], (int) cases.get(i)[1]);
        }
        List<double[]> kept = cases.subList(0, 2_000);
        long observed = 0;
        double expected = 0;
        double variance = 0;
        double third = 0;
        for (double[] c : kept) {
            observed += (long) c[1];
            expected += c[0];
            variance += c[0] * (1 - c[0]);
            third += c[0] * (1 - c[0]) * (1 - 2 * c[0]);
        }

        ObservedExpectedReference.Day d = s.observedExpectedDay(42);
        assertThat(d.day()).isEqualTo(42);
        assertThat(d.labelled()).isEqualTo(2_000);
        assertThat(d.observed()).isEqualTo(observed);
        assertThat(d.expected()).isCloseTo(expected, within(2_000 * 1e-9));
        assertThat(d.variance()).isCloseTo(variance, within(2_000 * 5e-6));
        assertThat(d.thirdCumulant()).isCloseTo(third, within(2_000 * 5e-6));
        assertThat(variance).as("not vacuous").isGreaterThan(200);
        // Every case in one bin: exact at the bin centre.
        RocHistogram one = new RocHistogram(10);
        one.add(0.32, 1);
        one.add(0.38, 0);
        // p = 0.35: 2 × 0.35 × 0.65 = 0.455; 0.455 × 0.3 = 0.1365
        assertThat(one.bernoulliCumulantSums()[0]).isCloseTo(0.455, within(1e-12));
        assertThat(one.bernoulliCumulantSums()[1]).isCloseTo(0.1365, within(1e-12));
    }

    @Test
    void shouldRejectBytesWhenFormatIsUnknownOrTrailing() {
        byte[] bytes = new BinaryOutcomeStats(0.5).toBytes();
        byte[] wrongFormat = bytes.clone();
        wrongFormat[0] = 9;
        assertThatThrownBy(() -> BinaryOutcomeStats.fromBytes(wrongFormat)).hasMessageContaining("format byte");
        byte[] trailing = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        assertThatThrownBy(() -> BinaryOutcomeStats.fromBytes(trailing)).hasMessageContaining("trailing");
    }

    @Test
    void shouldImportNoKafkaJacksonOrMicrometerWhenInStatsPackage() throws Exception {
        Pattern forbidden = Pattern.compile(
                "^import\\s+(static\\s+)?(org\\.apache\\.kafka|com\\.fasterxml|io\\.micrometer)", Pattern.MULTILINE);
        Path main = Path.of("src/main/java/io/vigil/stats");
        assertThat(main).isDirectory();
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.list(main)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = forbidden.matcher(Files.readString(f));
                if (m.find()) {
                    offenders.add(f.getFileName() + ": " + m.group());
                }
            }
        }
        assertThat(offenders).isEmpty();
    }
}
