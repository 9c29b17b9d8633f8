package io.vigil.serde;

import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.NumberDeserializers;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.util.List;

/**
 * The one configured Jackson {@link ObjectMapper} for every event and record Vigil reads or writes.
 *
 * <p>Contract: timestamps ({@link java.time.Instant}) are RFC 3339 strings in UTC; unknown
 * properties, trailing tokens, duplicate keys, {@code null} for primitives, floats for integers and
 * string-to-number coercion are rejected; non-finite numbers ({@code NaN}, {@code Infinity}, as
 * bare tokens, strings or overflowing literals) are rejected when reading and when writing; map
 * entries are written sorted by key so equal records serialise to equal bytes. Input size is
 * bounded by {@link StreamReadConstraints} (see the {@code MAX_*} constants).
 *
 * <p>The mapper is shared and must not be reconfigured; use {@link #reader()}/{@link #writer()}
 * (immutable) where possible. {@link #describe(IOException)} turns a Jackson failure into a message
 * that names the location and the rule but never a value, because values can be patient data.
 */
public final class Json {

    /** Maximum nesting depth of objects and arrays. */
    public static final int MAX_NESTING_DEPTH = 32;
    /** Maximum length of a number literal, in characters. */
    public static final int MAX_NUMBER_LENGTH = 64;
    /** Maximum length of a string value, in characters. */
    public static final int MAX_STRING_LENGTH = 1 << 20;
    /** Maximum length of a property name, in characters. */
    public static final int MAX_NAME_LENGTH = 256;
    /** Maximum length of one document, in bytes. */
    public static final long MAX_DOCUMENT_LENGTH = 16L << 20;

    private static final ObjectMapper MAPPER = build();

    private Json() {}

    /** The shared mapper. Thread-safe; never reconfigure it. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** An immutable reader over the shared configuration. */
    public static ObjectReader reader() {
        return MAPPER.reader();
    }

    /** An immutable writer over the shared configuration. */
    public static ObjectWriter writer() {
        return MAPPER.writer();
    }

    private static ObjectMapper build() {
        StreamReadConstraints readLimits = StreamReadConstraints.builder()
                .maxNestingDepth(MAX_NESTING_DEPTH)
                .maxNumberLength(MAX_NUMBER_LENGTH)
                .maxStringLength(MAX_STRING_LENGTH)
                .maxNameLength(MAX_NAME_LENGTH)
                .maxDocumentLength(MAX_DOCUMENT_LENGTH)
                .build();
        StreamWriteConstraints writeLimits = StreamWriteConstraints.builder()
                .maxNestingDepth(MAX_NESTING_DEPTH)
                .build();
        JsonFactoryBuilder factory = new JsonFactoryBuilder();
        factory.streamReadConstraints(readLimits);
        factory.streamWriteConstraints(writeLimits);
        factory.disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS);
        factory.enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
        factory.disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION);

        SimpleModule finite = new SimpleModule("vigil-finite-doubles");
        finite.addDeserializer(Double.class, new FiniteDoubleDeserializer(Double.class, null));
        finite.addDeserializer(double.class, new FiniteDoubleDeserializer(Double.TYPE, 0.0));
        finite.addSerializer(Double.class, new FiniteDoubleSerializer(Double.class));
        finite.addSerializer(double.class, new FiniteDoubleSerializer(Double.TYPE));

        return JsonMapper.builder(factory.build())
                .addModule(new JavaTimeModule())
                .addModule(finite)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
                .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .build();
    }

    /**
     * A description of a Jackson read or write failure that names where and which rule, never the
     * offending value: {@code "wrong type at /score (expected double)"}, {@code "malformed JSON at
     * line 1, column 12"}. Property names are included only when they look like identifiers (see
     * {@link SafePointer}).
     */
    public static String describe(IOException e) {
        if (e instanceof StreamConstraintsException) {
            return "JSON exceeds read limits" + at(e);
        }
        if (e instanceof StreamReadException) {
            return "malformed JSON" + at(e);
        }
        if (e instanceof JsonMappingException m) {
            String path = pointer(m);
            String where = path.isEmpty() ? "" : " at " + path;
            if (e instanceof UnrecognizedPropertyException) {
                return "unknown property" + where;
            }
            if (e instanceof ValueInstantiationException v) {
                Throwable cause = v.getCause();
                String rule = cause instanceof IllegalArgumentException && cause.getMessage() != null
                        ? ": " + cause.getMessage()
                        : cause instanceof NullPointerException && cause.getMessage() != null
                                ? ": missing " + cause.getMessage()
                                : "";
                return "invalid "
                        + simpleName(v.getType() == null ? null : v.getType().getRawClass()) + where + rule;
            }
            if (e instanceof InvalidFormatException f) {
                return "invalid value" + where + " (expected " + simpleName(f.getTargetType()) + ")";
            }
            if (e instanceof MismatchedInputException mi) {
                return "wrong type or missing value" + where + " (expected " + simpleName(mi.getTargetType()) + ")";
            }
            return "cannot map JSON" + where;
        }
        return "I/O failure (" + e.getClass().getSimpleName() + ")";
    }

    /** The JSON pointer of a mapping failure, with non-identifier property names redacted. */
    public static String pointer(JsonMappingException e) {
        List<JsonMappingException.Reference> refs = e.getPath();
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference ref : refs) {
            out.append('/');
            if (ref.getFieldName() != null) {
                out.append(SafePointer.segment(ref.getFieldName()));
            } else if (ref.getIndex() >= 0) {
                out.append(ref.getIndex());
            } else {
                out.append(SafePointer.REDACTED);
            }
        }
        return out.toString();
    }

    private static String at(IOException e) {
        if (e instanceof StreamReadException s && s.getLocation() != null) {
            return " at line " + s.getLocation().getLineNr() + ", column "
                    + s.getLocation().getColumnNr();
        }
        return "";
    }

    private static String simpleName(Class<?> type) {
        return type == null ? "value" : type.getSimpleName();
    }

    /** Accepts only JSON number tokens with a finite value. */
    private static final class FiniteDoubleDeserializer extends NumberDeserializers.DoubleDeserializer {
        private static final long serialVersionUID = 1L;

        FiniteDoubleDeserializer(Class<Double> type, Double nullValue) {
            super(type, nullValue);
        }

        @Override
        public Double deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonToken token = p.currentToken();
            if (token != JsonToken.VALUE_NUMBER_FLOAT && token != JsonToken.VALUE_NUMBER_INT) {
                return (Double) ctxt.handleUnexpectedToken(_valueClass, p);
            }
            double value = p.getDoubleValue();
            if (!Double.isFinite(value)) {
                throw InvalidFormatException.from(p, "number must be finite", null, _valueClass);
            }
            return value;
        }
    }

    /** Refuses to write NaN or infinities, which JSON cannot represent. */
    private static final class FiniteDoubleSerializer extends StdSerializer<Double> {
        private static final long serialVersionUID = 1L;

        FiniteDoubleSerializer(Class<Double> type) {
            super(type);
        }

        @Override
        public void serialize(Double value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            if (!Double.isFinite(value)) {
                throw JsonMappingException.from(gen, "number must be finite");
            }
            gen.writeNumber(value);
        }
    }
}
