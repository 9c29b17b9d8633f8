package io.vigil.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonMappingException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScenarioTest {

    @Test
    void shouldLoadTheDocumentedFactsWhenDefaultScenarioIsRead() {
        Scenario s = Scenario.builtIn("default");
        assertThat(s.model()).isEqualTo(new Scenario.ModelSpec("chest-ct-nodule", "2.3.0", 0.5));
        assertThat(s.days()).isEqualTo(120);
        assertThat(s.prevalence()).isEqualTo(0.12);
        assertThat(s.sites()).extracting(Scenario.SiteSpec::id).containsExactly("S01", "S02", "S03");
        assertThat(s.sites())
                .flatExtracting(Scenario.SiteSpec::scanners)
                .extracting(Scenario.ScannerSpec::id)
                .containsExactly("S01-CT1", "S01-CT2", "S02-CT1", "S02-CT2", "S03-CT1", "S03-CT2");
        assertThat(s.sites())
                .flatExtracting(Scenario.SiteSpec::scanners)
                .extracting(Scenario.ScannerSpec::manufacturer)
                .containsOnly("Siemens", "GE", "Philips");
        assertThat(s.sites())
                .flatExtracting(Scenario.SiteSpec::scanners)
                .allSatisfy(sc -> assertThat(sc.dailyVolume()).isBetween(150.0, 400.0));
        assertThat(s.scoreModel().calibration()).isEqualTo(ScoreModel.Calibration.IDENTITY);
        assertThat(s.labels().coverage()).isEqualTo(new LabelModel.Coverage(0.9, 0.4));
        assertThat(s.repeats()).isEqualTo(new Scenario.RepeatStudies(0.05, 30, 0.8));
        assertThat(s.labels().revisionFraction()).isEqualTo(0.01);
        assertThat(s.events()).singleElement().isInstanceOfSatisfying(ScheduledEvent.SoftwareUpdate.class, u -> {
            assertThat(u.scanner()).isEqualTo("S02-CT2");
            assertThat(u.day()).isEqualTo(60.0);
            assertThat(u.latentShift()).isPositive();
            assertThat(u.calibration()).isEqualTo(new ScoreModel.Calibration(1.0, 1.0));
        });
    }

    @Test
    void shouldEqualDefaultWithoutEventsWhenSteadyScenarioIsRead() {
        Scenario steady = Scenario.builtIn("steady");
        Scenario expected = Scenario.builtIn("default").withoutEvents();
        assertThat(steady.events()).isEmpty();
        assertThat(steady.sites()).isEqualTo(expected.sites());
        assertThat(steady.labels()).isEqualTo(expected.labels());
        assertThat(steady.scoreModel()).isEqualTo(expected.scoreModel());
        assertThat(steady.features()).isEqualTo(expected.features());
        assertThat(steady.demographics()).isEqualTo(expected.demographics());
    }

    @Test
    void shouldLoadFileWhenNameIsAPath(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("mine.json");
        try (InputStream in = Scenario.class.getResourceAsStream("/scenarios/steady.json")) {
            Files.write(file, in.readAllBytes());
        }
        assertThat(Scenario.resolve(file.toString())).isEqualTo(Scenario.builtIn("steady"));
    }

    @Test
    void shouldRejectUnknownKeyWhenParsing() throws IOException {
        String json = defaultJson().replace("\"prevalence\": 0.12,", "\"prevalence\": 0.12, \"prevalance\": 0.2,");
        assertThatThrownBy(() -> parse(json))
                .isInstanceOf(JsonMappingException.class)
                .hasMessageContaining("prevalance");
    }

    @Test
    void shouldRejectScenarioWhenARequiredNumberIsMissing() throws IOException {
        String json = defaultJson().replace("\"prevalence\": 0.12,", "");
        assertThatThrownBy(() -> parse(json))
                .isInstanceOf(JsonMappingException.class)
                .hasMessageContaining("prevalence");
    }

    @Test
    void shouldNameTheFieldWhenAValueIsOutOfRange() throws IOException {
        String json = defaultJson().replace("\"prevalence\": 0.12,", "\"prevalence\": 1.5,");
        assertThatThrownBy(() -> parse(json)).hasMessageContaining("prevalence must be in [0,1], was 1.5");
    }

    @Test
    void shouldRejectUpdateWhenItNamesNoScanner() throws IOException {
        String json = defaultJson().replace("\"scanner\": \"S02-CT2\"", "\"scanner\": \"S09-CT9\"");
        assertThatThrownBy(() -> parse(json)).hasMessageContaining("names no scanner: S09-CT9");
    }

    @Test
    void shouldRejectDuplicateScannerWhenAliasesRepeat() throws IOException {
        String json = defaultJson().replace("\"id\": \"S03-CT2\"", "\"id\": \"S03-CT1\"");
        assertThatThrownBy(() -> parse(json)).hasMessageContaining("S03-CT1 repeats");
    }

    @Test
    void shouldRejectUnknownNameWhenBuiltInIsAsked() {
        assertThatThrownBy(() -> Scenario.builtIn("nope"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("default")
                .hasMessageContaining("steady");
    }

    @Test
    void shouldGiveCalibratedPosteriorWhenCalibrationIsIdentity() {
        ScoreModel m = new ScoreModel(2.0, 0.2, null);
        // At z = separation/2 the likelihood ratio is 1, so the score is the prior.
        assertThat(m.score(1.0)).isCloseTo(0.2, org.assertj.core.api.Assertions.within(1e-12));
        ScoreModel shifted = new ScoreModel(2.0, 0.2, new ScoreModel.Calibration(1.0, 1.0));
        assertThat(Math.log(shifted.score(1.0) / (1 - shifted.score(1.0))))
                .isCloseTo(Math.log(0.2 / 0.8) + 1.0, org.assertj.core.api.Assertions.within(1e-12));
    }

    private static Scenario parse(String json) throws IOException {
        return Scenario.fromJson(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
    }

    private static String defaultJson() throws IOException {
        try (InputStream in = Scenario.class.getResourceAsStream("/scenarios/default.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
