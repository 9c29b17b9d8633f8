package io.vigil.events;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vigil.serde.Json;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

/**
 * The hot path of {@link EventValidator} for the two input contracts: one pass over the parser's
 * tokens that builds the record while checking every rule of {@code prediction.schema.json} and
 * {@code ground_truth.schema.json} by hand.
 *
 * <p>It may only <em>accept</em>: whenever a record is not certainly valid (a rule fails, a value
 * sits exactly on a numeric bound, a number is not a plain int or finite double, anything unusual)
 * it returns {@code null} and the validator runs the full path (tree parse, JSON Schema walk,
 * binding), which decides and names the reason. So the schema stays the contract, a rejection is
 * always explained by the schema, and the only property this class must have is soundness: what
 * it accepts, the full path accepts with an equal record. {@code ContractFastPathTest} checks that
 * on valid records and on thousands of mutations of them.
 *
 * <p>It uses the shared Jackson factory ({@link Json#mapper()}), so limits, duplicate detection and
 * number parsing are the full path's own.
 */
final class ContractFastPath {
    private static final JsonFactory FACTORY = Json.mapper().getFactory();

    private ContractFastPath() {}

    /** The prediction in {@code raw} if it is certainly valid, else null (ask the full path). */
    static Prediction prediction(byte[] raw) {
        try (JsonParser p = FACTORY.createParser(raw)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            String id = null;
            Instant occurredAt = null;
            ModelRef model = null;
            String task = null;
            double score = Double.NaN;
            double threshold = Double.NaN;
            Integer predictedLabel = null;
            String site = null;
            Scanner scanner = null;
            String subjectKey = null;
            String studyKey = null;
            Demographics demographics = null;
            Double uncertainty = null;
            Boolean abstained = null;
            Map<String, Double> features = null;
            Map<String, String> attributes = null;
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                switch (name) {
                    case "prediction_id" -> id = string(p, v, 128);
                    case "occurred_at" -> occurredAt = instant(p, v);
                    case "model" -> model = model(p, v);
                    case "task" -> task = task(p, v);
                    case "score" -> score = interior(p, v);
                    case "threshold" -> threshold = interior(p, v);
                    case "predicted_label" -> predictedLabel = binary(p, v);
                    case "site" -> site = string(p, v, 64);
                    case "scanner" -> scanner = scanner(p, v);
                    case "subject_key" -> subjectKey = string(p, v, 128);
                    case "study_key" -> studyKey = string(p, v, 128);
                    case "demographics" -> demographics = demographics(p, v);
                    case "uncertainty" -> uncertainty = interior(p, v);
                    case "abstained" -> abstained = bool(v);
                    case "features" -> features = features(p, v);
                    case "attributes" -> attributes = attributes(p, v);
                    default -> {
                        return null;
                    }
                }
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                return null;
            }
            if (id == null
                    || occurredAt == null
                    || model == null
                    || task == null
                    || Double.isNaN(score)
                    || Double.isNaN(threshold)
                    || site == null
                    || scanner == null) {
                return null;
            }
            return new Prediction(
                    id,
                    occurredAt,
                    model,
                    task,
                    score,
                    threshold,
                    predictedLabel,
                    site,
                    scanner,
                    subjectKey,
                    studyKey,
                    demographics,
                    uncertainty,
                    abstained,
                    features,
                    attributes);
        } catch (Exception e) {
            return null; // the full path explains it
        }
    }

    /** The label in {@code raw} if it is certainly valid, else null (ask the full path). */
    static GroundTruth groundTruth(byte[] raw) {
        try (JsonParser p = FACTORY.createParser(raw)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            String id = null;
            Integer label = null;
            Instant observedAt = null;
            String source = null;
            int revision = -1;
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                switch (name) {
                    case "prediction_id" -> id = string(p, v, 128);
                    case "label" -> label = binary(p, v);
                    case "observed_at" -> observedAt = instant(p, v);
                    case "source" -> source = string(p, v, 64);
                    case "revision" -> {
                        if (v != JsonToken.VALUE_NUMBER_INT
                                || p.getNumberType() != JsonParser.NumberType.INT
                                || (revision = p.getIntValue()) < 0) {
                            return null;
                        }
                    }
                    default -> {
                        return null;
                    }
                }
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                return null;
            }
            if (id == null || label == null || observedAt == null || source == null || revision < 0) {
                return null;
            }
            return new GroundTruth(id, label, observedAt, source, revision);
        } catch (Exception e) {
            return null;
        }
    }

    // Each field reader returns a certainly valid value or throws Invalid (caught above: full path).

    private static String string(JsonParser p, JsonToken v, int maxCodePoints) throws java.io.IOException {
        if (v != JsonToken.VALUE_STRING) {
            throw Invalid.INSTANCE;
        }
        String s = p.getText();
        int n = s.length();
        // Code points, as JSON Schema counts them; every UTF-16 unit is at most one code point.
        if (n == 0 || (n > maxCodePoints && s.codePointCount(0, n) > maxCodePoints)) {
            throw Invalid.INSTANCE;
        }
        return s;
    }

    private static String task(JsonParser p, JsonToken v) throws java.io.IOException {
        if (v != JsonToken.VALUE_STRING) {
            throw Invalid.INSTANCE;
        }
        String s = p.getText();
        if (!"binary".equals(s) && !"multiclass".equals(s)) {
            throw Invalid.INSTANCE;
        }
        return s;
    }

    private static Boolean bool(JsonToken v) {
        if (v == JsonToken.VALUE_TRUE) {
            return Boolean.TRUE;
        }
        if (v == JsonToken.VALUE_FALSE) {
            return Boolean.FALSE;
        }
        throw Invalid.INSTANCE;
    }

    /** A number strictly inside (0, 1): a double there is the value of a decimal inside [0, 1]. */
    private static double interior(JsonParser p, JsonToken v) throws java.io.IOException {
        if (v != JsonToken.VALUE_NUMBER_FLOAT) {
            throw Invalid.INSTANCE; // 0, 1 and other ints: the full path
        }
        double d = p.getDoubleValue();
        if (!(d > 0.0 && d < 1.0)) {
            throw Invalid.INSTANCE;
        }
        return d;
    }

    private static Integer binary(JsonParser p, JsonToken v) throws java.io.IOException {
        if (v != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
            throw Invalid.INSTANCE;
        }
        int i = p.getIntValue();
        if (i != 0 && i != 1) {
            throw Invalid.INSTANCE;
        }
        return i;
    }

    private static ModelRef model(JsonParser p, JsonToken v) throws java.io.IOException {
        if (v != JsonToken.START_OBJECT) {
            throw Invalid.INSTANCE;
        }
        String id = null;
        String version = null;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "id" -> id = string(p, value, 128);
                case "version" -> version = string(p, value, 64);
                default -> throw Invalid.INSTANCE;
            }
        }
        if (t != JsonToken.END_OBJECT || id == null || version == null) {
            throw Invalid.INSTANCE;
        }
        return new ModelRef(id, version);
    }

    private static Scanner scanner(JsonParser p, JsonToken v) throws java.io.IOException {
        if (v != JsonToken.START_OBJECT) {
            throw Invalid.INSTANCE;
        }
        String id = null;
        String manufacturer = null;
        String model = null;
        String software = null;
        String modality = null;
        String bodyPart = null;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "id" -> id = string(p, value, 64);
                case "manufacturer" -> manufacturer = string(p, value, 64);
                case "model" -> model = string(p, value, 64);
                case "software_version" -> software = string(p, value, 64);
                case "modality" -> modality = string(p, value, 64);
                case "body_part" -> bodyPart = string(p, value, 64);
                default -> throw Invalid.INSTANCE;
            }
        }
        if (t != JsonToken.END_OBJECT || id == null || manufacturer == null || model == null || software == null) {
            throw Invalid.INSTANCE;
        }
        return new Scanner(id, manufacturer, model, software, modality, bodyPart);
    }

    private static Demographics demographics(JsonParser p, JsonToken v) throws java.io.IOException {
        if (v != JsonToken.START_OBJECT) {
            throw Invalid.INSTANCE;
        }
        String sex = null;
        String ageBand = null;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "sex" -> {
                    if (value != JsonToken.VALUE_STRING || !isSex(p.getText())) {
                        throw Invalid.INSTANCE;
                    }
                    sex = p.getText();
                }
                case "age_band" -> {
                    if (value != JsonToken.VALUE_STRING || !isAgeBand(p.getText())) {
                        throw Invalid.INSTANCE;
                    }
                    ageBand = p.getText();
                }
                default -> throw Invalid.INSTANCE;
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw Invalid.INSTANCE;
        }
        return new Demographics(sex, ageBand);
    }

    private static boolean isSex(String s) {
        return s.length() == 1 && "FMOU".indexOf(s.charAt(0)) >= 0;
    }

    /** {@code ^[0-9]{1,3}(-[0-9]{1,3}|\+)$}, ASCII digits only. */
    static boolean isAgeBand(String s) {
        int n = s.length();
        int i = 0;
        while (i < n && i < 3 && isDigit(s.charAt(i))) {
            i++;
        }
        if (i == 0 || i == n) {
            return false;
        }
        if (s.charAt(i) == '+') {
            return i == n - 1;
        }
        if (s.charAt(i) != '-') {
            return false;
        }
        int start = ++i;
        while (i < n && i - start < 3 && isDigit(s.charAt(i))) {
            i++;
        }
        return i > start && i == n;
    }

    /** {@code ^[A-Za-z][A-Za-z0-9_.-]{0,63}$}, ASCII only. */
    static boolean isName(String s) {
        int n = s.length();
        if (n == 0 || n > 64 || !isLetter(s.charAt(0))) {
            return false;
        }
        for (int i = 1; i < n; i++) {
            char c = s.charAt(i);
            if (!(isLetter(c) || isDigit(c) || c == '_' || c == '.' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isLetter(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static Map<String, Double> features(JsonParser p, JsonToken v) throws java.io.IOException {
        if (v != JsonToken.START_OBJECT) {
            throw Invalid.INSTANCE;
        }
        Map<String, Double> out = new HashMap<>();
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (!isName(name)) {
                throw Invalid.INSTANCE;
            }
            double d;
            if (value == JsonToken.VALUE_NUMBER_FLOAT) {
                d = p.getDoubleValue();
            } else if (value == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT) {
                d = p.getIntValue();
            } else {
                throw Invalid.INSTANCE;
            }
            if (!Double.isFinite(d) || out.put(name, d) != null || out.size() > 64) {
                throw Invalid.INSTANCE;
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw Invalid.INSTANCE;
        }
        return out;
    }

    private static Map<String, String> attributes(JsonParser p, JsonToken v) throws java.io.IOException {
        if (v != JsonToken.START_OBJECT) {
            throw Invalid.INSTANCE;
        }
        Map<String, String> out = new HashMap<>();
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (!isName(name) || out.put(name, string(p, value, 64)) != null || out.size() > 32) {
                throw Invalid.INSTANCE;
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw Invalid.INSTANCE;
        }
        return out;
    }

    /**
     * An RFC 3339 date-time as {@link Rfc3339DateTime} accepts it, converted the way the full path's
     * binding does (seconds from the local date-time and offset, nanoseconds from the fraction).
     */
    private static Instant instant(JsonParser p, JsonToken v) throws java.io.IOException {
        if (v != JsonToken.VALUE_STRING) {
            throw Invalid.INSTANCE;
        }
        String s = p.getText();
        if (!Rfc3339DateTime.isValid(s)) {
            throw Invalid.INSTANCE;
        }
        int n = s.length();
        int nanos = 0;
        int i = 19;
        if (s.charAt(i) == '.') {
            int digits = 0;
            for (i = 20; i < n && isDigit(s.charAt(i)); i++, digits++) {
                nanos = nanos * 10 + (s.charAt(i) - '0');
            }
            for (; digits < 9; digits++) {
                nanos *= 10;
            }
        }
        int offsetSeconds = 0;
        if (s.charAt(i) != 'Z') {
            int sign = s.charAt(i) == '-' ? -1 : 1;
            offsetSeconds = sign * (number(s, i + 1, i + 3) * 3600 + number(s, i + 4, i + 6) * 60);
        }
        LocalDateTime local = LocalDateTime.of(
                number(s, 0, 4),
                number(s, 5, 7),
                number(s, 8, 10),
                number(s, 11, 13),
                number(s, 14, 16),
                number(s, 17, 19));
        return Instant.ofEpochSecond(local.toEpochSecond(ZoneOffset.ofTotalSeconds(offsetSeconds)), nanos);
    }

    private static int number(String s, int from, int to) {
        int v = 0;
        for (int i = from; i < to; i++) {
            v = v * 10 + (s.charAt(i) - '0');
        }
        return v;
    }

    /** Thrown (without a stack) when a value is not certainly valid. */
    private static final class Invalid extends RuntimeException {
        static final Invalid INSTANCE = new Invalid();

        private Invalid() {
            super("not certainly valid", null, false, false);
        }
    }
}
