package io.vigil.adapters.dicom;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.adapters.dicom.DicomJson.Code;
import java.io.IOException;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/**
 * How a site's AI results in DICOM SR become prediction events: which coded content item carries the
 * score, how the algorithm is identified, the decision threshold per model, and the site. Read from a
 * JSON file (docs/adapters.md documents every field); every field has a default.
 *
 * @param scoreConcepts NUM content items whose concept name is one of these carry the score (a probability in
 *     [0, 1], or in percent when its unit is UCUM {@code %}); the first found in document order wins
 * @param algorithmName the TEXT item naming the algorithm (TID 4019): the model id
 * @param algorithmVersion the TEXT item giving its version: the model version
 * @param threshold the decision threshold of a model not in {@code thresholds}
 * @param thresholds decision threshold per model id (the SR rarely carries it)
 * @param site the site id of results whose InstitutionName (0008,0080) is not in {@code sites}; null: such
 *     results are rejected
 * @param sites site id per InstitutionName
 * @param predictionId {@code accession} (AccessionNumber (0008,0050), the key most result messages carry: the
 *     ground truth must use the same) or {@code sr_instance_uid} (the SR's SOPInstanceUID)
 * @param timezone the offset of ContentDate/ContentTime when the SR has no TimezoneOffsetFromUTC (0008,0201)
 */
public record DicomSrMapping(
        @JsonProperty("score_concepts") List<String> scoreConcepts,
        @JsonProperty("algorithm_name") String algorithmName,
        @JsonProperty("algorithm_version") String algorithmVersion,
        @JsonProperty("threshold") Double threshold,
        @JsonProperty("thresholds") Map<String, Double> thresholds,
        @JsonProperty("site") String site,
        @JsonProperty("sites") Map<String, String> sites,
        @JsonProperty("prediction_id") String predictionId,
        @JsonProperty("timezone") String timezone) {

    /** DCM 111047 "Probability of cancer" (CID 6048), the score most CAD and AI results report. */
    public static final String DEFAULT_SCORE_CONCEPT = "DCM:111047";

    public DicomSrMapping {
        scoreConcepts =
                scoreConcepts == null || scoreConcepts.isEmpty() ? List.of(DEFAULT_SCORE_CONCEPT) : scoreConcepts;
        scoreConcepts.forEach(Code::parse); // fail at load time on a malformed code
        algorithmName = algorithmName == null ? "DCM:111001" : algorithmName;
        algorithmVersion = algorithmVersion == null ? "DCM:111003" : algorithmVersion;
        Code.parse(algorithmName);
        Code.parse(algorithmVersion);
        threshold = threshold == null ? 0.5 : threshold;
        thresholds = thresholds == null ? Map.of() : Map.copyOf(thresholds);
        for (double t : concat(threshold, thresholds.values())) {
            if (!(t >= 0 && t <= 1)) {
                throw new IllegalArgumentException("thresholds are in [0, 1], got " + t);
            }
        }
        sites = sites == null ? Map.of() : Map.copyOf(sites);
        predictionId = predictionId == null ? "accession" : predictionId;
        if (!predictionId.equals("accession") && !predictionId.equals("sr_instance_uid")) {
            throw new IllegalArgumentException("prediction_id is accession or sr_instance_uid, got " + predictionId);
        }
        timezone = timezone == null ? "Z" : timezone;
        ZoneOffset.of(timezone);
    }

    /** Every default: DCM codes, threshold 0.5, no site (so a site map or {@code site} is needed), UTC. */
    public static DicomSrMapping defaults() {
        return new DicomSrMapping(null, null, null, null, null, null, null, null, null);
    }

    /** Reads a mapping file; unknown fields are an error that names them. */
    public static DicomSrMapping read(Path file) throws IOException {
        return new ObjectMapper()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .readValue(file.toFile(), DicomSrMapping.class);
    }

    double thresholdOf(String modelId) {
        return thresholds.getOrDefault(modelId, threshold);
    }

    List<Code> scoreCodes() {
        return scoreConcepts.stream().map(Code::parse).toList();
    }

    private static List<Double> concat(double first, java.util.Collection<Double> rest) {
        java.util.ArrayList<Double> all = new java.util.ArrayList<>(rest);
        all.add(first);
        return all;
    }
}
