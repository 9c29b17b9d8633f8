package io.vigil.adapters.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.parser.LenientErrorHandler;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Resource;

/**
 * FHIR R4 JSON through HAPI's parser: one {@link FhirContext} for the process (building one scans the whole R4
 * model), a new parser per use (HAPI's parsers are cheap and not meant to be shared between threads). Unknown
 * elements are accepted without a log line (the parser's default logs their names per resource); an invalid
 * value (a malformed date, say) makes the resource unparseable.
 */
public final class FhirJson {
    private static final FhirContext CONTEXT = FhirContext.forR4();

    private FhirJson() {}

    /** The shared R4 context. */
    public static FhirContext context() {
        return CONTEXT;
    }

    /** A JSON parser for one use. */
    public static IParser parser() {
        return CONTEXT.newJsonParser().setParserErrorHandler(new LenientErrorHandler(false));
    }

    /**
     * The R4 resource in {@code json}, or empty when it is not one; the parser's message is dropped, as it can
     * quote the content.
     */
    public static Optional<Resource> parse(byte[] json) {
        try {
            IBaseResource r = parser().parseResource(new String(json, StandardCharsets.UTF_8));
            return r instanceof Resource resource ? Optional.of(resource) : Optional.empty();
        } catch (DataFormatException | IllegalArgumentException | ClassCastException e) {
            return Optional.empty();
        }
    }

    /** {@code resource} as FHIR JSON. */
    public static String write(IBaseResource resource) {
        return parser().encodeResourceToString(resource);
    }
}
