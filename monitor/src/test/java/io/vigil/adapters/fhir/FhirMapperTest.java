package io.vigil.adapters.fhir;

import static io.vigil.adapters.fhir.FhirResources.ISSUED;
import static io.vigil.adapters.fhir.FhirResources.MRN;
import static io.vigil.adapters.fhir.FhirResources.report;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.events.GroundTruth;
import io.vigil.events.Reason;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FhirMapperTest {
    private final FhirMapper mapper = new FhirMapper(FhirMapping.defaults());

    /** Serialised by HAPI and parsed back, as the adapter receives it. */
    private static Resource roundTrip(Resource r) {
        return FhirJson.parse(FhirResources.json(r).getBytes(StandardCharsets.UTF_8))
                .orElseThrow();
    }

    private FhirMapper.Outcome map(Resource r) {
        return mapper.map(roundTrip(r));
    }

    private GroundTruth mapped(Resource r) {
        FhirMapper.Outcome o = map(r);
        assertThat(o).isInstanceOf(FhirMapper.Mapped.class);
        return ((FhirMapper.Mapped) o).event();
    }

    private Reason unmappable(Resource r) {
        FhirMapper.Outcome o = map(r);
        assertThat(o).isInstanceOf(FhirMapper.Unmappable.class);
        Reason reason = ((FhirMapper.Unmappable) o).reason();
        // Reasons go into responses and dead-letter headers: never patient data.
        assertThat(reason.toString()).doesNotContain("ACC-", MRN, "2026");
        return reason;
    }

    @Test
    void shouldMapAFinalReportWithAContainedObservationToRevisionZero() {
        assertThat(mapped(report("ACC-0001", "10828004")))
                .isEqualTo(new GroundTruth("ACC-0001", 1, Instant.parse(ISSUED), "pathology", 0));
        assertThat(mapped(report("ACC-0002", "260385009")).label()).isZero();
    }

    @Test
    void shouldTurnAmendedAndCorrectedReportsIntoARevisionAboveZeroGrowingWithTime() {
        DiagnosticReport amended = report("ACC-0001", "260385009");
        amended.setStatus(DiagnosticReport.DiagnosticReportStatus.AMENDED);
        amended.getIssuedElement().setValueAsString("2026-11-20T10:00:00Z");
        int expected = (int) (Instant.parse("2026-11-20T10:00:00Z").getEpochSecond()
                - Instant.parse("2000-01-01T00:00:00Z").getEpochSecond());
        assertThat(mapped(amended))
                .isEqualTo(
                        new GroundTruth("ACC-0001", 0, Instant.parse("2026-11-20T10:00:00Z"), "pathology", expected));

        DiagnosticReport corrected = report("ACC-0001", "10828004");
        corrected.setStatus(DiagnosticReport.DiagnosticReportStatus.CORRECTED);
        corrected.getIssuedElement().setValueAsString("2026-11-21T10:00:00Z");
        assertThat(mapped(corrected).revision()).isEqualTo(expected + 86_400);
    }

    @Test
    void shouldIgnoreAPreliminaryReportWithAReason() {
        DiagnosticReport preliminary = report("ACC-0001", "10828004");
        preliminary.setStatus(DiagnosticReport.DiagnosticReportStatus.PRELIMINARY);
        assertThat(map(preliminary))
                .isEqualTo(new FhirMapper.Ignored("status preliminary is not ground truth yet; send the final result"));
    }

    @Test
    void shouldRefuseEnteredInErrorAsNoRetractionExists() {
        DiagnosticReport wrong = report("ACC-0001", "10828004");
        wrong.setStatus(DiagnosticReport.DiagnosticReportStatus.ENTEREDINERROR);
        Reason r = unmappable(wrong);
        assertThat(r.path()).isEqualTo("DiagnosticReport.status");
        assertThat(r.message()).contains("entered-in-error cannot retract ground truth");
    }

    @Test
    void shouldNameTheIdentifierRulesWhenNoAccessionMatches() {
        DiagnosticReport noId = report("ACC-0001", "10828004");
        noId.getIdentifier().clear();
        noId.addIdentifier().setSystem("urn:other").setValue("X-1"); // no ACSN type
        Reason r = unmappable(noId);
        assertThat(r.code()).isEqualTo(Reason.MISSING_FIELD);
        assertThat(r.path()).startsWith("DiagnosticReport.identifier[type=ACSN],");
        assertThat(r.message()).contains("no prediction id (accession)");
    }

    @Test
    void shouldNameTheValueWhenTheCodeIsNotInTheTable() {
        Reason r = unmappable(report("ACC-0001", "399999999"));
        assertThat(r)
                .isEqualTo(new Reason(
                        Reason.UNKNOWN_ENUM,
                        "DiagnosticReport.result.valueCodeableConcept",
                        "no coding is in the label code table (label.codes)"));
    }

    @Test
    void shouldNameAMissingStatusAndAnUnresolvedResult() {
        DiagnosticReport noStatus = report("ACC-0001", "10828004");
        noStatus.setStatus(null);
        assertThat(unmappable(noStatus))
                .isEqualTo(new Reason(Reason.MISSING_FIELD, "DiagnosticReport.status", "no status"));

        DiagnosticReport dangling = report("ACC-0001", "10828004");
        dangling.getContained().clear();
        dangling.getResult().clear();
        dangling.addResult(new Reference("Observation/elsewhere"));
        Reason r = unmappable(dangling);
        assertThat(r.path()).isEqualTo("DiagnosticReport.result");
        assertThat(r.message()).contains("1 result reference(s) resolve neither");
    }

    @Test
    void shouldMapEveryReportOfABundleWithItsResultEntriesAndLeaveTheRestSupporting() {
        Bundle bundle = FhirResources.transaction(report("ACC-0001", "10828004"), report("ACC-0002", "260385009"));
        List<FhirMapper.Entry> entries = mapper.map((Bundle) roundTrip(bundle));
        assertThat(entries)
                .extracting(FhirMapper.Entry::resourceType)
                .containsExactly("Patient", "Observation", "DiagnosticReport", "Observation", "DiagnosticReport");
        assertThat(entries.get(0).outcome()).isInstanceOf(FhirMapper.Supporting.class);
        assertThat(entries.get(1).outcome()).isInstanceOf(FhirMapper.Supporting.class);
        assertThat(entries.get(2).outcome())
                .isEqualTo(
                        new FhirMapper.Mapped(new GroundTruth("ACC-0001", 1, Instant.parse(ISSUED), "pathology", 0)));
        assertThat(entries.get(4).outcome())
                .isEqualTo(
                        new FhirMapper.Mapped(new GroundTruth("ACC-0002", 0, Instant.parse(ISSUED), "pathology", 0)));
    }

    @Test
    void shouldTakeTheAccessionFromTheOrderAReportIsBasedOn() {
        DiagnosticReport r = report("ACC-0001", "10828004");
        r.getIdentifier().clear();
        ServiceRequest order = new ServiceRequest();
        order.setId("order");
        order.addIdentifier(FhirResources.accession("ACC-0777"));
        r.addContained(order);
        r.addBasedOn(new Reference("#order"));
        assertThat(mapped(r).predictionId()).isEqualTo("ACC-0777");
    }

    @Test
    void shouldMapALoneObservation() {
        Observation o = FhirResources.finding("10828004");
        o.addIdentifier(FhirResources.accession("ACC-0003"));
        o.setIssued(java.util.Date.from(Instant.parse(ISSUED)));
        o.addCategory(new CodeableConcept(
                new Coding("http://terminology.hl7.org/CodeSystem/observation-category", "imaging", null)));
        assertThat(mapped(o)).isEqualTo(new GroundTruth("ACC-0003", 1, Instant.parse(ISSUED), "radiology_report", 0));

        Observation preliminary = o.copy();
        preliminary.setStatus(Observation.ObservationStatus.PRELIMINARY);
        assertThat(map(preliminary)).isInstanceOf(FhirMapper.Ignored.class);
    }

    @Test
    void shouldReadBooleanAndQuantityValuesWhenTheMappingSaysSo() {
        FhirMapping defaults = FhirMapping.defaults();
        FhirMapping mapping = new FhirMapping(
                defaults.predictionId(),
                new FhirMapping.Label(List.of(), List.of(), true, new BigDecimal("0.5")),
                defaults.observedAt(),
                "UTC",
                defaults.source(),
                defaults.finalStatuses(),
                defaults.corrected(),
                defaults.ignored());
        FhirMapper custom = new FhirMapper(mapping);
        assertThat(((FhirMapper.Mapped) custom.map(roundTrip(FhirResources.booleanObservation("ACC-1", true)))).event())
                .isEqualTo(new GroundTruth("ACC-1", 1, Instant.parse(ISSUED), "fhir", 0));
        Observation q = FhirResources.booleanObservation("ACC-2", true);
        q.setValue(new Quantity().setValue(0.42).setUnit("probability"));
        assertThat(((FhirMapper.Mapped) custom.map(roundTrip(q))).event().label())
                .isZero();

        // The default mapping reads codes only: a boolean value is named as the wrong type.
        assertThat(unmappable(FhirResources.booleanObservation("ACC-1", true)))
                .isEqualTo(new Reason(
                        Reason.WRONG_TYPE,
                        "Observation.value[x]",
                        "valueBoolean is not a label value the mapping reads (label.codes, boolean, "
                                + "positive_at_or_above)"));
    }

    @Test
    void shouldReadADateWithoutOffsetInTheMappingsZone() {
        DiagnosticReport r = report("ACC-0001", "10828004");
        r.setIssued(null);
        r.getEffectiveDateTimeType().setValueAsString("2026-11-18");
        assertThat(mapped(r).observedAt()).isEqualTo(Instant.parse("2026-11-18T00:00:00Z"));
    }

    @Test
    void shouldRefuseAMappingThatNamesAnUnknownElementOrStatus(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.json");
        Files.writeString(
                file,
                new String(
                                FhirMapping.class
                                        .getResourceAsStream("default-mapping.json")
                                        .readAllBytes(),
                                StandardCharsets.UTF_8)
                        .replace("\"final\"]", "\"done\"]"));
        assertThatThrownBy(() -> FhirMapping.load(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("status done is not a FHIR R4 report or observation status");
        assertThatThrownBy(() -> new FhirMapping.IdentifierRule("Patient.identifier", null, null))
                .hasMessageContaining("prediction_id element must be one of");
    }
}
