package io.vigil.adapters.dicom;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading the DICOM JSON model (PS3.18 F.2): a dataset is an object keyed by the eight hex digits of a
 * tag, each attribute {@code {"vr": ..., "Value": [...]}}. DS and IS values may come as JSON numbers or as
 * strings; both are accepted.
 */
final class DicomJson {
    static final String SOP_CLASS_UID = "00080016";
    static final String SOP_INSTANCE_UID = "00080018";
    static final String CONTENT_DATE = "00080023";
    static final String CONTENT_TIME = "00080033";
    static final String ACCESSION_NUMBER = "00080050";
    static final String MODALITY = "00080060";
    static final String MANUFACTURER = "00080070";
    static final String INSTITUTION_NAME = "00080080";
    static final String TIMEZONE_OFFSET = "00080201";
    static final String MANUFACTURER_MODEL_NAME = "00081090";
    static final String PATIENT_ID = "00100020";
    static final String BODY_PART_EXAMINED = "00180015";
    static final String DEVICE_SERIAL_NUMBER = "00181000";
    static final String SOFTWARE_VERSIONS = "00181020";
    static final String STUDY_INSTANCE_UID = "0020000D";
    static final String CODE_VALUE = "00080100";
    static final String CODING_SCHEME_DESIGNATOR = "00080102";
    static final String MEASUREMENT_UNITS_CODE_SEQUENCE = "004008EA";
    static final String RELATIONSHIP_TYPE = "0040A010";
    static final String VALUE_TYPE = "0040A040";
    static final String CONCEPT_NAME_CODE_SEQUENCE = "0040A043";
    static final String TEXT_VALUE = "0040A160";
    static final String MEASURED_VALUE_SEQUENCE = "0040A300";
    static final String NUMERIC_VALUE = "0040A30A";
    static final String CONTENT_SEQUENCE = "0040A730";

    private DicomJson() {}

    /** The first value of a string-valued attribute, trimmed, or null when absent or empty. */
    static String string(JsonNode dataset, String tag) {
        JsonNode v = dataset.path(tag).path("Value").path(0);
        if (v.isMissingNode() || v.isNull() || v.isContainerNode()) {
            return null;
        }
        String s = v.asText().trim();
        return s.isEmpty() ? null : s;
    }

    /** The first value of a numeric attribute (DS, IS, FD...), or NaN when absent or not a number. */
    static double number(JsonNode dataset, String tag) {
        JsonNode v = dataset.path(tag).path("Value").path(0);
        if (v.isNumber()) {
            return v.asDouble();
        }
        if (v.isTextual()) {
            try {
                return Double.parseDouble(v.asText().trim());
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }
        return Double.NaN;
    }

    /** The items of a sequence attribute; empty when absent. */
    static List<JsonNode> items(JsonNode dataset, String tag) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode item : dataset.path(tag).path("Value")) {
            if (item.isObject()) {
                out.add(item);
            }
        }
        return out;
    }

    /** The (scheme, value) of a content item's concept name, or null. */
    static Code conceptName(JsonNode item) {
        List<JsonNode> codes = items(item, CONCEPT_NAME_CODE_SEQUENCE);
        return codes.isEmpty() ? null : Code.of(codes.get(0));
    }

    /** A coded concept: coding scheme designator and code value, as DICOM writes them (e.g. DCM 111001). */
    record Code(String scheme, String value) {
        static Code of(JsonNode codeItem) {
            String scheme = string(codeItem, CODING_SCHEME_DESIGNATOR);
            String value = string(codeItem, CODE_VALUE);
            return scheme == null || value == null ? null : new Code(scheme, value);
        }

        static Code parse(String schemeColonValue) {
            int colon = schemeColonValue.indexOf(':');
            if (colon <= 0 || colon == schemeColonValue.length() - 1) {
                throw new IllegalArgumentException(
                        "a code is SCHEME:VALUE (for example DCM:111047), got " + schemeColonValue);
            }
            return new Code(schemeColonValue.substring(0, colon), schemeColonValue.substring(colon + 1));
        }

        @Override
        public String toString() {
            return scheme + ":" + value;
        }
    }
}
