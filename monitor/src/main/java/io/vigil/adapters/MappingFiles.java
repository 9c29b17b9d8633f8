package io.vigil.adapters;

import io.vigil.serde.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The JSON mapping files of the ground-truth adapters (HL7 v2, FHIR): read from a file, or the built-in
 * {@code default-mapping.json} beside the mapping's class. Errors name the file and the rule broken, never a
 * value from a message.
 */
public final class MappingFiles {
    private MappingFiles() {}

    /**
     * The mapping in {@code file}.
     *
     * @param what how the error names it, e.g. "HL7 mapping"
     * @throws IllegalArgumentException when the file is unreadable or breaks a rule of {@code type}
     */
    public static <T> T load(Class<T> type, Path file, String what) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(type, in);
        } catch (IOException e) {
            String why = e instanceof com.fasterxml.jackson.core.JacksonException ? Json.describe(e) : e.toString();
            throw new IllegalArgumentException("cannot read " + what + " " + file + ": " + why, e);
        }
    }

    /** The built-in mapping: {@code default-mapping.json} in {@code type}'s package (documented in docs/adapters.md). */
    public static <T> T builtIn(Class<T> type) {
        try (InputStream in = type.getResourceAsStream("default-mapping.json")) {
            return read(type, Objects.requireNonNull(in, "default-mapping.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A ground-truth source name a mapping may give: 1 to 64 characters. */
    public static void checkSourceName(String source) {
        if (source.isEmpty() || source.length() > 64) {
            throw new IllegalArgumentException("source values must be 1 to 64 characters");
        }
    }

    private static <T> T read(Class<T> type, InputStream in) throws IOException {
        return Json.reader().forType(type).readValue(in);
    }
}
