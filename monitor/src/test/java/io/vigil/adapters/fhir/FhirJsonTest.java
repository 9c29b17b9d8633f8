package io.vigil.adapters.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.junit.jupiter.api.Test;

class FhirJsonTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldParseWhatHapiWritesAndAcceptUnknownElements() {
        String json = FhirJson.write(FhirResources.report("ACC-0001", "10828004"));
        assertThat(FhirJson.parse(bytes(json))).get().isInstanceOf(DiagnosticReport.class);
        assertThat(FhirJson.parse(bytes(json.replaceFirst("\\{", "{\"vendorField\":1,"))))
                .get()
                .isInstanceOf(DiagnosticReport.class);
    }

    @Test
    void shouldRefuseWhatIsNoFhirResourceOrHoldsAnInvalidValue() {
        assertThat(FhirJson.parse(bytes("{not json"))).isEmpty();
        assertThat(FhirJson.parse(bytes("[]"))).isEmpty();
        assertThat(FhirJson.parse(bytes("{\"resourceType\":\"NoSuchType\"}"))).isEmpty();
        assertThat(FhirJson.parse(bytes("{\"resourceType\":\"DiagnosticReport\",\"issued\":\"yesterday\"}")))
                .isEmpty();
    }
}
