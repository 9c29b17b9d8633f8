package io.vigil.events;

import java.util.Objects;
import java.util.Set;

/**
 * Why a record was rejected.
 *
 * <p>{@code code} is one of the bounded set {@link #CODES} (safe as a Prometheus label value);
 * {@code path} is the RFC 6901 JSON pointer of the offending field ({@code ""} for the whole
 * record), with sender-chosen property names that do not look like identifiers redacted;
 * {@code message} states the rule that failed, such as {@code "must be <= 1"}. Neither
 * {@code path} nor {@code message} ever contains a field's value: values can be patient data.
 */
public record Reason(String code, String path, String message) {

    /** The bytes are not one well-formed JSON document (also NaN/Infinity tokens, duplicate keys). */
    public static final String NOT_JSON = "not_json";
    /** The record exceeds the size limit or a JSON read limit (nesting, number length). */
    public static final String OVERSIZED = "oversized";
    /** A required field is absent. */
    public static final String MISSING_FIELD = "missing_field";
    /** A field has the wrong JSON type (including null, and numbers sent as strings). */
    public static final String WRONG_TYPE = "wrong_type";
    /** A number, length or count is outside its allowed range. */
    public static final String OUT_OF_RANGE = "out_of_range";
    /** A value is not one of the allowed values. */
    public static final String UNKNOWN_ENUM = "unknown_enum";
    /** A timestamp is not an RFC 3339 date-time with offset. */
    public static final String BAD_TIMESTAMP = "bad_timestamp";
    /** The event time is further in the future than the allowed clock skew. */
    public static final String FUTURE_TIMESTAMP = "future_timestamp";
    /** A field that the contract does not define. */
    public static final String ADDITIONAL_PROPERTY = "additional_property";
    /** Any other rule (for example a pattern). */
    public static final String INVALID = "invalid";

    /** A label whose prediction never arrived within the orphan retention (outcome join). */
    public static final String UNMATCHED_LABEL = "unmatched_label";
    /** A label that arrived after its prediction's maximum label delay (outcome join). */
    public static final String LABEL_AFTER_MAX_DELAY = "label_after_max_delay";

    /** A stage threw on the record (Kafka Streams' processing exception handler dead-lettered its source). */
    public static final String PROCESSING_ERROR = "processing_error";
    /** The broker refused an output record, e.g. too large (the production exception handler dead-lettered it). */
    public static final String PRODUCTION_ERROR = "production_error";

    /** Every code a {@code Reason} can carry. */
    public static final Set<String> CODES = Set.of(
            NOT_JSON,
            OVERSIZED,
            MISSING_FIELD,
            WRONG_TYPE,
            OUT_OF_RANGE,
            UNKNOWN_ENUM,
            BAD_TIMESTAMP,
            FUTURE_TIMESTAMP,
            ADDITIONAL_PROPERTY,
            INVALID,
            UNMATCHED_LABEL,
            LABEL_AFTER_MAX_DELAY,
            PROCESSING_ERROR,
            PRODUCTION_ERROR);

    public Reason {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(message, "message");
        if (!CODES.contains(code)) {
            throw new IllegalArgumentException("unknown reason code " + code);
        }
    }

    /** {@code code path: message}, for logs and the CLI; the root path is shown as {@code (root)}. */
    @Override
    public String toString() {
        return code + " " + (path.isEmpty() ? "(root)" : path) + ": " + message;
    }
}
