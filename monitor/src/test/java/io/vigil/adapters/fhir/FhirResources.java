package io.vigil.adapters.fhir;

import java.util.Date;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * FHIR R4 resources as a hospital's report system sends them, built with HAPI's model classes: a pathology
 * DiagnosticReport with accession {@code ACC-0001} (identifier type ACSN), issued 2026-11-19T14:02:00Z, whose
 * contained Observation codes the finding in SNOMED CT (10828004 positive, 260385009 negative).
 */
public final class FhirResources {
    public static final String SCT = "http://snomed.info/sct";
    public static final String ACCESSION_SYSTEM = "urn:oid:1.2.3.4.5.6.7";
    public static final String V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203";
    public static final String V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074";
    public static final String ISSUED = "2026-11-19T14:02:00Z";
    public static final String MRN = "MRN-998877";

    private FhirResources() {}

    public static Identifier accession(String value) {
        return new Identifier()
                .setSystem(ACCESSION_SYSTEM)
                .setValue(value)
                .setType(new CodeableConcept(new Coding(V2_0203, "ACSN", "Accession ID")));
    }

    public static Observation finding(String code) {
        Observation o = new Observation();
        o.setStatus(Observation.ObservationStatus.FINAL);
        o.setCode(new CodeableConcept(new Coding("http://loinc.org", "22637-3", "Pathology report final diagnosis")));
        o.setValue(new CodeableConcept(new Coding(SCT, code, code.equals("10828004") ? "Positive" : "Negative")));
        o.setSubject(new Reference("Patient/p1"));
        return o;
    }

    /** A final pathology report with its finding contained. */
    public static DiagnosticReport report(String accession, String findingCode) {
        DiagnosticReport r = new DiagnosticReport();
        r.setId("dr-1");
        r.setStatus(DiagnosticReport.DiagnosticReportStatus.FINAL);
        r.addIdentifier(accession(accession));
        r.addCategory(new CodeableConcept(new Coding(V2_0074, "PAT", "Pathology")));
        r.setCode(new CodeableConcept(new Coding("http://loinc.org", "60567-5", "Pathology synoptic report")));
        r.setSubject(new Reference("Patient/p1").setIdentifier(new Identifier().setValue(MRN)));
        r.setEffective(new DateTimeType("2026-11-18T09:00:00Z"));
        r.setIssuedElement(new InstantType(ISSUED));
        Observation o = finding(findingCode);
        o.setId("f1");
        r.addContained(o);
        r.addResult(new Reference("#f1"));
        return r;
    }

    /** A transaction Bundle of a Patient and reports each with its Observation as a separate entry. */
    public static Bundle transaction(DiagnosticReport... reports) {
        Bundle b = new Bundle();
        b.setType(Bundle.BundleType.TRANSACTION);
        Patient p = new Patient();
        p.addIdentifier().setSystem("urn:mrn").setValue(MRN);
        entry(b, p, "urn:uuid:00000000-0000-0000-0000-00000000000a");
        int n = 0;
        for (DiagnosticReport r : reports) {
            n++;
            Observation o = (Observation) r.getContained().getFirst();
            r.getContained().clear();
            r.getResult().clear();
            o.setId((String) null);
            String obsUrl = "urn:uuid:00000000-0000-0000-0000-0000000001" + String.format("%02d", n);
            r.addResult(new Reference(obsUrl));
            entry(b, o, obsUrl);
            entry(b, r, "urn:uuid:00000000-0000-0000-0000-0000000002" + String.format("%02d", n));
        }
        return b;
    }

    private static void entry(Bundle b, Resource r, String fullUrl) {
        b.addEntry()
                .setFullUrl(fullUrl)
                .setResource(r)
                .getRequest()
                .setMethod(Bundle.HTTPVerb.POST)
                .setUrl(r.fhirType());
    }

    /** A lone Observation with its accession and a boolean value. */
    public static Observation booleanObservation(String accession, boolean positive) {
        Observation o = new Observation();
        o.setStatus(Observation.ObservationStatus.FINAL);
        o.addIdentifier(accession(accession));
        o.setCode(new CodeableConcept(new Coding("http://loinc.org", "22637-3", null)));
        o.setValue(new BooleanType(positive));
        o.setIssued(Date.from(java.time.Instant.parse(ISSUED)));
        return o;
    }

    /** {@code resource} through HAPI's JSON parser, as the adapter receives it. */
    public static String json(Resource resource) {
        return FhirJson.write(resource);
    }
}
