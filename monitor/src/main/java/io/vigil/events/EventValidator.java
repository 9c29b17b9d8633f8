package io.vigil.events;

import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.vigil.serde.Json;
import io.vigil.serde.SafePointer;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Parses and validates one raw event exactly once: size limit, JSON parse, JSON Schema (2020-12,
 * from {@code classpath:schemas/}, format assertions on), record construction, and for
 * predictions and ground truth an event time no further than {@code maxFutureSkew} after
 * {@code now}. The result is the typed record or a {@link Reason} whose path and message never
 * contain a field value.
 *
 * <p>Schemas and readers are built once per JVM; an instance is immutable and thread-safe. A valid
 * prediction or label takes the {@link ContractFastPath} (one pass over the tokens, every schema
 * rule checked by hand); anything that path does not accept takes the full path (tree parse,
 * schema walk, tree-to-record bind), which decides and names the reason.
 */
public final class EventValidator {

    /** Default maximum size of one record, in bytes (64 KiB). */
    public static final int DEFAULT_MAX_BYTES = 64 * 1024;
    /** Default tolerance for event times ahead of the processing clock. */
    public static final Duration DEFAULT_MAX_FUTURE_SKEW = Duration.ofMinutes(5);

    /** The event contracts under {@code schemas/}, with the record each one binds to. */
    public enum EventType {
        PREDICTION("prediction", Prediction.class),
        GROUND_TRUTH("ground_truth", GroundTruth.class),
        ALERT("alert", Alert.class),
        INCIDENT("incident", Incident.class),
        METRIC_SNAPSHOT("metric_snapshot", MetricSnapshot.class),
        REFERENCE_PROFILE("reference_profile", ReferenceProfile.class);

        private final String schemaName;
        private final Class<?> recordType;

        EventType(String schemaName, Class<?> recordType) {
            this.schemaName = schemaName;
            this.recordType = recordType;
        }

        /** The schema's base name, e.g. {@code ground_truth} for {@code ground_truth.schema.json}. */
        public String schemaName() {
            return schemaName;
        }

        /** The record type a valid document binds to. */
        public Class<?> recordType() {
            return recordType;
        }

        /** The classpath resource of the schema. */
        public String resource() {
            return "schemas/" + schemaName + ".schema.json";
        }
    }

    /** Base of every schema's {@code $id}; mapped to {@code classpath:schemas/}. */
    public static final String SCHEMA_ID_BASE = "https://vigil.io/schemas/";

    private static final Map<EventType, JsonSchema> SCHEMAS = loadSchemas();

    private final int maxBytes;
    private final Duration maxFutureSkew;
    private final ObjectReader reader = Json.reader();

    /** A validator with {@link #DEFAULT_MAX_BYTES} and {@link #DEFAULT_MAX_FUTURE_SKEW}. */
    public EventValidator() {
        this(DEFAULT_MAX_BYTES, DEFAULT_MAX_FUTURE_SKEW);
    }

    /**
     * @param maxBytes records larger than this many bytes are rejected before parsing
     * @param maxFutureSkew event times later than {@code now + maxFutureSkew} are rejected
     */
    public EventValidator(int maxBytes, Duration maxFutureSkew) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be > 0");
        }
        Objects.requireNonNull(maxFutureSkew, "maxFutureSkew");
        if (maxFutureSkew.isNegative()) {
            throw new IllegalArgumentException("maxFutureSkew must be >= 0");
        }
        this.maxBytes = maxBytes;
        this.maxFutureSkew = maxFutureSkew;
    }

    /** Validates a prediction; {@code occurred_at} must not be after {@code now + maxFutureSkew}. */
    public Validation<Prediction> prediction(byte[] raw, Instant now) {
        Prediction fast = raw != null && raw.length <= maxBytes ? ContractFastPath.prediction(raw) : null;
        if (fast != null) {
            return checkEventTime(fast, fast.occurredAt(), now, "/occurred_at");
        }
        return validate(EventType.PREDICTION, Prediction.class, raw, now, Prediction::occurredAt, "/occurred_at");
    }

    /** Validates a ground-truth record; {@code observed_at} must not be after {@code now + maxFutureSkew}. */
    public Validation<GroundTruth> groundTruth(byte[] raw, Instant now) {
        GroundTruth fast = raw != null && raw.length <= maxBytes ? ContractFastPath.groundTruth(raw) : null;
        if (fast != null) {
            return checkEventTime(fast, fast.observedAt(), now, "/observed_at");
        }
        return validate(EventType.GROUND_TRUTH, GroundTruth.class, raw, now, GroundTruth::observedAt, "/observed_at");
    }

    /** The full path alone (tree parse, schema walk, binding): the reference the fast path is tested against. */
    Validation<?> validateFullPath(EventType type, byte[] raw, Instant now) {
        return switch (type) {
            case PREDICTION ->
                validate(EventType.PREDICTION, Prediction.class, raw, now, Prediction::occurredAt, "/occurred_at");
            case GROUND_TRUTH ->
                validate(EventType.GROUND_TRUTH, GroundTruth.class, raw, now, GroundTruth::observedAt, "/observed_at");
            default -> validate(type, raw, now);
        };
    }

    /** Validates an alert (no event-time check: alerts are produced by Vigil itself). */
    public Validation<Alert> alert(byte[] raw) {
        return validate(EventType.ALERT, Alert.class, raw, null, null, null);
    }

    /** Validates an incident (no event-time check: incidents are produced by Vigil itself). */
    public Validation<Incident> incident(byte[] raw) {
        return validate(EventType.INCIDENT, Incident.class, raw, null, null, null);
    }

    /** Validates a metric snapshot (no event-time check: snapshots are produced by Vigil itself). */
    public Validation<MetricSnapshot> metricSnapshot(byte[] raw) {
        return validate(EventType.METRIC_SNAPSHOT, MetricSnapshot.class, raw, null, null, null);
    }

    /** Validates a reference profile (no event-time check: {@code created_at} is when it was built). */
    public Validation<ReferenceProfile> referenceProfile(byte[] raw) {
        return validate(EventType.REFERENCE_PROFILE, ReferenceProfile.class, raw, null, null, null);
    }

    /** Validates {@code raw} as {@code type}; {@code now} is used for predictions and ground truth. */
    public Validation<?> validate(EventType type, byte[] raw, Instant now) {
        return switch (type) {
            case PREDICTION -> prediction(raw, now);
            case GROUND_TRUTH -> groundTruth(raw, now);
            case ALERT -> alert(raw);
            case INCIDENT -> incident(raw);
            case METRIC_SNAPSHOT -> metricSnapshot(raw);
            case REFERENCE_PROFILE -> referenceProfile(raw);
        };
    }

    /** Size check and JSON parse only: the tree, or a {@code not_json}/{@code oversized} rejection. */
    public Validation<JsonNode> parse(byte[] raw) {
        if (raw == null || raw.length == 0) {
            return reject(Reason.NOT_JSON, "", "empty record");
        }
        if (raw.length > maxBytes) {
            return reject(Reason.OVERSIZED, "", "record exceeds " + maxBytes + " bytes");
        }
        try {
            JsonNode tree = reader.readTree(raw);
            if (tree == null || tree.isMissingNode()) {
                return reject(Reason.NOT_JSON, "", "empty record");
            }
            // A number beyond double range (1e400) parses to an infinite double, which the schema library's
            // enum and range checks cannot handle (they threw NumberFormatException): no such number is valid.
            String infinite = nonFinite(tree, "");
            if (infinite != null) {
                return reject(Reason.OUT_OF_RANGE, infinite, "number outside the range of a double");
            }
            return new Validation.Accepted<>(tree);
        } catch (StreamConstraintsException e) {
            return reject(Reason.OVERSIZED, "", Json.describe(e));
        } catch (StreamReadException e) {
            String original = e.getOriginalMessage();
            return reject(
                    Reason.NOT_JSON,
                    "",
                    original != null && original.startsWith("Duplicate field")
                            ? "duplicate property" + Json.describe(e).substring("malformed JSON".length())
                            : Json.describe(e));
        } catch (IOException e) {
            // FAIL_ON_TRAILING_TOKENS: a second value after the first document.
            return reject(Reason.NOT_JSON, "", "content after the end of the JSON document");
        }
    }

    /** The JSON pointer of the first number that parsed to an infinite or NaN double, or null. */
    private static String nonFinite(JsonNode node, String path) {
        if (node.isFloatingPointNumber()) {
            return Double.isFinite(node.doubleValue()) ? null : path;
        }
        if (node.isContainerNode()) {
            if (node.isArray()) {
                for (int i = 0; i < node.size(); i++) {
                    String found = nonFinite(node.get(i), path + "/" + i);
                    if (found != null) {
                        return found;
                    }
                }
            } else {
                var fields = node.fields();
                while (fields.hasNext()) {
                    var f = fields.next();
                    String found = nonFinite(
                            f.getValue(),
                            path + "/" + f.getKey().replace("~", "~0").replace("/", "~1"));
                    if (found != null) {
                        return found;
                    }
                }
            }
        }
        return null;
    }

    private <T> Validation<T> validate(
            EventType type,
            Class<T> recordType,
            byte[] raw,
            Instant now,
            Function<T, Instant> eventTime,
            String eventTimePath) {
        Validation<JsonNode> parsed = parse(raw);
        if (parsed instanceof Validation.Rejected<JsonNode> rejected) {
            return new Validation.Rejected<>(rejected.reason());
        }
        JsonNode tree = ((Validation.Accepted<JsonNode>) parsed).value();
        Set<ValidationMessage> errors = SCHEMAS.get(type).validate(tree);
        if (!errors.isEmpty()) {
            ValidationMessage first = errors.stream().min(PRIORITY).orElseThrow();
            return new Validation.Rejected<>(SchemaReasons.of(first));
        }
        T value;
        try {
            value = reader.treeToValue(tree, recordType);
        } catch (IOException e) {
            return new Validation.Rejected<>(bindingReason(e));
        } catch (RuntimeException e) {
            return reject(Reason.INVALID, "", "cannot build " + recordType.getSimpleName());
        }
        if (eventTime != null) {
            return checkEventTime(value, eventTime.apply(value), now, eventTimePath);
        }
        return new Validation.Accepted<>(value);
    }

    private <T> Validation<T> checkEventTime(T value, Instant at, Instant now, String eventTimePath) {
        Objects.requireNonNull(now, "now");
        if (at.isAfter(now.plus(maxFutureSkew))) {
            return reject(
                    Reason.FUTURE_TIMESTAMP,
                    eventTimePath,
                    "must not be more than " + maxFutureSkew + " after the processing time");
        }
        return new Validation.Accepted<>(value);
    }

    /** Errors that say most about the record first; ties broken by path for a stable choice. */
    private static final Comparator<ValidationMessage> PRIORITY = Comparator.comparingInt(
                    (ValidationMessage m) -> SchemaReasons.rank(m.getType()))
            .thenComparing(m -> m.getInstanceLocation().toString());

    private static Reason bindingReason(IOException e) {
        if (e instanceof StreamReadException && !(e instanceof JsonMappingException)) {
            return new Reason(
                    e instanceof StreamConstraintsException ? Reason.OVERSIZED : Reason.NOT_JSON, "", Json.describe(e));
        }
        String path = e instanceof JsonMappingException m ? Json.pointer(m) : "";
        if (e instanceof MismatchedInputException mi && mi.getTargetType() == Instant.class) {
            return new Reason(Reason.BAD_TIMESTAMP, path, "must be an RFC 3339 date-time with offset");
        }
        if (e instanceof InvalidFormatException) {
            return new Reason(Reason.OUT_OF_RANGE, path, "must be a finite number in range");
        }
        if (e instanceof ValueInstantiationException) {
            return new Reason(Reason.INVALID, path, Json.describe(e));
        }
        if (e instanceof MismatchedInputException) {
            return new Reason(Reason.WRONG_TYPE, path, Json.describe(e));
        }
        return new Reason(Reason.INVALID, path, Json.describe(e));
    }

    private static <T> Validation<T> reject(String code, String path, String message) {
        return new Validation.Rejected<>(new Reason(code, path, message));
    }

    private static Map<EventType, JsonSchema> loadSchemas() {
        JsonMetaSchema metaSchema = JsonMetaSchema.builder(JsonMetaSchema.getV202012())
                .format(new Rfc3339DateTime())
                .build();
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(
                SpecVersion.VersionFlag.V202012,
                builder -> builder.metaSchema(metaSchema)
                        .schemaMappers(mappers -> mappers.mapPrefix(SCHEMA_ID_BASE, "classpath:schemas/")));
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
                .formatAssertionsEnabled(true)
                .pathType(PathType.JSON_POINTER)
                .build();
        Map<EventType, JsonSchema> schemas = new java.util.EnumMap<>(EventType.class);
        for (EventType type : EventType.values()) {
            JsonSchema schema =
                    factory.getSchema(SchemaLocation.of(SCHEMA_ID_BASE + type.schemaName() + ".schema.json"), config);
            schema.initializeValidators();
            schemas.put(type, schema);
        }
        return java.util.Collections.unmodifiableMap(schemas);
    }

    /** The JSON Schema of {@code type}, as loaded from the classpath. */
    public static JsonSchema schema(EventType type) {
        return SCHEMAS.get(type);
    }

    /** Maps a schema error to a reason built from the keyword, the path and the schema only. */
    static final class SchemaReasons {
        private SchemaReasons() {}

        static int rank(String keyword) {
            return switch (keyword) {
                case "additionalProperties", "unevaluatedProperties" -> 0;
                case "required" -> 1;
                case "type" -> 2;
                case "enum", "const" -> 3;
                case "format" -> 4;
                case "minimum",
                        "maximum",
                        "exclusiveMinimum",
                        "exclusiveMaximum",
                        "minLength",
                        "maxLength",
                        "minProperties",
                        "maxProperties",
                        "minItems",
                        "maxItems" -> 5;
                default -> 6;
            };
        }

        static Reason of(ValidationMessage m) {
            String keyword = m.getType();
            String at = SafePointer.of(m.getInstanceLocation().toString());
            JsonNode rule = keywordValue(m);
            return switch (keyword) {
                case "required" ->
                    new Reason(Reason.MISSING_FIELD, at + "/" + SafePointer.segment(m.getProperty()), "is required");
                case "additionalProperties", "unevaluatedProperties" ->
                    new Reason(
                            Reason.ADDITIONAL_PROPERTY,
                            at + "/" + SafePointer.segment(m.getProperty()),
                            "is not defined by the contract");
                case "type" -> new Reason(Reason.WRONG_TYPE, at, "must be of type " + text(rule));
                case "enum" -> new Reason(Reason.UNKNOWN_ENUM, at, "must be one of " + text(rule));
                case "const" -> new Reason(Reason.UNKNOWN_ENUM, at, "must be " + text(rule));
                case "format" ->
                    "date-time".equals(text(rule))
                            ? new Reason(Reason.BAD_TIMESTAMP, at, "must be an RFC 3339 date-time with offset")
                            : new Reason(Reason.INVALID, at, "must have format " + text(rule));
                case "minimum" -> new Reason(Reason.OUT_OF_RANGE, at, "must be >= " + text(rule));
                case "maximum" -> new Reason(Reason.OUT_OF_RANGE, at, "must be <= " + text(rule));
                case "exclusiveMinimum" -> new Reason(Reason.OUT_OF_RANGE, at, "must be > " + text(rule));
                case "exclusiveMaximum" -> new Reason(Reason.OUT_OF_RANGE, at, "must be < " + text(rule));
                case "minLength" -> new Reason(Reason.OUT_OF_RANGE, at, "length must be >= " + text(rule));
                case "maxLength" -> new Reason(Reason.OUT_OF_RANGE, at, "length must be <= " + text(rule));
                case "minProperties" ->
                    new Reason(Reason.OUT_OF_RANGE, at, "must have >= " + text(rule) + " properties");
                case "maxProperties" ->
                    new Reason(Reason.OUT_OF_RANGE, at, "must have <= " + text(rule) + " properties");
                case "pattern" -> new Reason(Reason.INVALID, at, "must match " + text(rule));
                case "propertyNames" -> new Reason(Reason.INVALID, at, "property names must match the contract");
                default -> new Reason(Reason.INVALID, at, "fails " + SafePointer.segment(keyword));
            };
        }

        /** The value of the failed keyword in the schema (never the instance). */
        private static JsonNode keywordValue(ValidationMessage m) {
            JsonNode schemaNode = m.getSchemaNode();
            if (schemaNode != null && schemaNode.has(m.getType())) {
                return schemaNode.get(m.getType());
            }
            return schemaNode;
        }

        private static String text(JsonNode node) {
            if (node == null) {
                return "the contract";
            }
            return node.isTextual() ? node.asText() : node.toString();
        }
    }
}
