package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
