package io.vigil.adapters.dicom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.events.EventValidator;
import io.vigil.events.Prediction;
import io.vigil.events.Validation;
import io.vigil.serde.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AI results in DICOM SR (DICOM JSON, a study's metadata as DICOMweb returns it: one CT image and one
 * TID 1500 measurement report with the algorithm identification of TID 4019) become prediction events.
 */
class DicomSrPredictionsTest {
    private static final String SECRET = "a-site-secret-of-32-bytes-length";
    private static final DicomSrMapping MAPPING = new DicomSrMapping(
            null, null, null, null, Map.of("LungNoduleAI", 0.6), null, Map.of("General Hospital", "S01"), null, null);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldMapTheReportToAPredictionWithTheScannerFromTheImageAndAliasesForIdentifiers() throws Exception {
        List<DicomSrPredictions.Mapped> out = new DicomSrPredictions(MAPPING, SECRET).map(study());

        assertThat(out).hasSize(1);
        Prediction p = out.get(0).prediction();
        assertThat(p.predictionId()).isEqualTo("ACC-1001");
        // ContentDate 20261101, ContentTime 081602.125 at TimezoneOffsetFromUTC +0100.
        assertThat(p.occurredAt()).isEqualTo(Instant.parse("2026-11-01T07:16:02.125Z"));
        assertThat(p.model().id()).isEqualTo("LungNoduleAI");
        assertThat(p.model().version()).isEqualTo("2.1.0");
        assertThat(p.score()).isEqualTo(0.87);
        assertThat(p.threshold()).isEqualTo(0.6); // the model's own threshold from the mapping
        assertThat(p.predictedLabel()).isEqualTo(1);
        assertThat(p.site()).isEqualTo("S01");
        // The CT's equipment, not the AI server's that wrote the SR.
        assertThat(p.scanner().manufacturer()).isEqualTo("SIEMENS");
        assertThat(p.scanner().model()).isEqualTo("SOMATOM Force");
        assertThat(p.scanner().softwareVersion()).isEqualTo("VB20A");
        assertThat(p.scanner().modality()).isEqualTo("CT");
        assertThat(p.scanner().bodyPart()).isEqualTo("CHEST");
        assertThat(p.scanner().id()).isEqualTo("dev-" + hmac("SN12345").substring(0, 12));
        assertThat(p.subjectKey()).isEqualTo("sk-" + hmac("PAT-778899").substring(0, 16));
        assertThat(p.studyKey())
                .isEqualTo("st-" + hmac("1.2.826.0.1.3680043.8.498.10001").substring(0, 16));
    }

    @Test
    void shouldProduceAPredictionTheContractAcceptsAndThatCarriesNoRawIdentifier() throws Exception {
        Prediction p =
                new DicomSrPredictions(MAPPING, SECRET).map(study()).get(0).prediction();
        byte[] json = Json.writer().writeValueAsBytes(p);

        Validation<Prediction> v = new EventValidator().prediction(json, Instant.parse("2026-11-02T00:00:00Z"));
        assertThat(v).isInstanceOf(Validation.Accepted.class);
        String text = new String(json, StandardCharsets.UTF_8);
        assertThat(text).doesNotContain("SN12345", "PAT-778899", "1.2.826.0.1.3680043.8.498.10001", "AI-SERVER-01");
    }

    @Test
    void shouldReadAScoreInPercentAndFallBackToTheReportsOwnEquipmentWithoutAnImage() throws Exception {
        ArrayNode study = study();
        ObjectNode sr = (ObjectNode) study.get(1);
        ObjectNode measured = measured(sr);
        measured.set("0040A30A", JSON.readTree("{\"vr\":\"DS\",\"Value\":[\"42.5\"]}"));
        ((ObjectNode) measured.get("004008EA").get("Value").get(0))
                .set("00080100", JSON.readTree("{\"vr\":\"SH\",\"Value\":[\"%\"]}"));

        Prediction p = new DicomSrPredictions(MAPPING, SECRET).map(sr).get(0).prediction();

        assertThat(p.score()).isEqualTo(0.425);
        assertThat(p.predictedLabel()).isZero();
        assertThat(p.scanner().manufacturer()).isEqualTo("Example AI Vendor");
        assertThat(p.scanner().id()).isEqualTo("dev-" + hmac("AI-SERVER-01").substring(0, 12));
        assertThat(p.scanner().modality()).isNull();
    }

    @Test
    void shouldRejectWithAReasonThatNamesTheAttributeNeverItsValue() throws Exception {
        DicomSrPredictions mapper = new DicomSrPredictions(MAPPING, SECRET);

        ArrayNode noAccession = study();
        ((ObjectNode) noAccession.get(1)).remove("00080050");
        assertThat(mapper.map(noAccession).get(0).reason()).isEqualTo("missing AccessionNumber (0008,0050)");

        ArrayNode otherSite = study();
        ((ObjectNode) otherSite.get(1)).set("00080080", JSON.readTree("{\"vr\":\"LO\",\"Value\":[\"Elsewhere\"]}"));
        assertThat(mapper.map(otherSite).get(0).reason())
                .contains("InstitutionName")
                .doesNotContain("Elsewhere");

        ArrayNode tooHigh = study();
        measured((ObjectNode) tooHigh.get(1)).set("0040A30A", JSON.readTree("{\"vr\":\"DS\",\"Value\":[1.7]}"));
        assertThat(mapper.map(tooHigh).get(0).reason()).isEqualTo("score outside [0, 1] after its unit");

        DicomSrPredictions otherCode = new DicomSrPredictions(
                new DicomSrMapping(List.of("99LOCAL:P1"), null, null, null, null, "S09", null, null, null), SECRET);
        assertThat(otherCode.map(study()).get(0).reason()).startsWith("no NUM content item with a score concept");

        ArrayNode imageOnly = JSON.createArrayNode().add(study().get(0));
        assertThat(mapper.map(imageOnly))
                .singleElement()
                .satisfies(m -> assertThat(m.reason()).contains("no SR instance"));

        ArrayNode badTime = study();
        ((ObjectNode) badTime.get(1)).set("00080033", JSON.readTree("{\"vr\":\"TM\",\"Value\":[\"25:61\"]}"));
        assertThat(mapper.map(badTime).get(0).reason()).contains("ContentTime");
    }

    @Test
    void shouldUseTheDefaultSiteAndTheSrInstanceUidWhenTheMappingSaysSo() throws Exception {
        DicomSrMapping m = new DicomSrMapping(null, null, null, null, null, "S07", null, "sr_instance_uid", "+02:00");
        ArrayNode study = study();
        ((ObjectNode) study.get(1)).remove("00080201"); // no offset in the SR: the mapping's applies
        Prediction p = new DicomSrPredictions(m, SECRET).map(study).get(0).prediction();

        assertThat(p.site()).isEqualTo("S07");
        assertThat(p.predictionId()).isEqualTo("1.2.826.0.1.3680043.8.498.10001.9.1");
        assertThat(p.threshold()).isEqualTo(0.5);
        assertThat(p.occurredAt()).isEqualTo(Instant.parse("2026-11-01T06:16:02.125Z"));
    }

    @Test
    void shouldReadAMappingFileAndNameWhatIsWrongInIt(@TempDir Path dir) throws IOException {
        Path good = dir.resolve("good.json");
        Files.writeString(
                good,
                "{\"score_concepts\": [\"DCM:111047\", \"99LOCAL:P1\"], \"thresholds\": {\"m\": 0.3},"
                        + " \"sites\": {\"General Hospital\": \"S01\"}}");
        DicomSrMapping m = DicomSrMapping.read(good);
        assertThat(m.scoreConcepts()).containsExactly("DCM:111047", "99LOCAL:P1");
        assertThat(m.thresholdOf("m")).isEqualTo(0.3);
        assertThat(m.thresholdOf("other")).isEqualTo(0.5);

        Path unknown = dir.resolve("unknown.json");
        Files.writeString(unknown, "{\"score_concept\": [\"DCM:111047\"]}");
        assertThatThrownBy(() -> DicomSrMapping.read(unknown)).hasMessageContaining("score_concept");
        assertThatThrownBy(() -> new DicomSrMapping(null, null, null, 1.5, null, null, null, null, null))
                .hasMessageContaining("[0, 1]");
        assertThatThrownBy(() -> new DicomSrMapping(List.of("111047"), null, null, null, null, null, null, null, null))
                .hasMessageContaining("SCHEME:VALUE");
        assertThatThrownBy(() -> new DicomSrPredictions(MAPPING, "short")).hasMessageContaining("16 bytes");
    }

    private static ArrayNode study() throws IOException {
        try (InputStream in = DicomSrPredictionsTest.class.getResourceAsStream("/adapters/dicom/study-metadata.json")) {
            return (ArrayNode) JSON.readTree(in);
        }
    }

    /** The MeasuredValueSequence item of the report's one NUM content item. */
    private static ObjectNode measured(ObjectNode sr) {
        JsonNode group = sr.get("0040A730")
                .get("Value")
                .get(0)
                .get("0040A730")
                .get("Value")
                .get(0);
        JsonNode num = group.get("0040A730").get("Value").get(2);
        return (ObjectNode) num.get("0040A300").get("Value").get(0);
    }

    private static String hmac(String value) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)));
    }
}
