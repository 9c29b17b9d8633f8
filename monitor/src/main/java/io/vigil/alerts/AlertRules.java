package io.vigil.alerts;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.serde.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;

/**
 * Loads alert rules: the shipped defaults ({@code classpath:alert-rules.json}) or, when
 * {@code alerts.rules-file} is set, that file instead. Format: {@code {"rules": [ {...}, ... ]}} with
 * the fields of {@link AlertRule} in snake_case; unknown fields and duplicate rule names are errors.
 */
public final class AlertRules {
    /** Classpath resource of the shipped defaults. */
    public static final String DEFAULTS = "/alert-rules.json";

    private AlertRules() {}

    record RuleFile(@JsonProperty("rules") List<AlertRule> rules) {}

    /** The shipped default rules. */
    public static List<AlertRule> defaults() {
        try (InputStream in = AlertRules.class.getResourceAsStream(DEFAULTS)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + DEFAULTS);
            }
            return checked(
                    Json.reader()
                            .forType(RuleFile.class)
                            .<RuleFile>readValue(in)
                            .rules(),
                    DEFAULTS);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + DEFAULTS + ": " + Json.describe(e), e);
        }
    }

    /** The rules of {@code file}, or the defaults when {@code file} is null or blank. */
    public static List<AlertRule> load(String file) {
        if (file == null || file.isBlank()) {
            return defaults();
        }
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            return checked(
                    Json.reader()
                            .forType(RuleFile.class)
                            .<RuleFile>readValue(in)
                            .rules(),
                    file);
        } catch (IOException e) {
            throw new ConfigException("alerts.rules-file", file, "cannot read rules: " + Json.describe(e));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ConfigException("alerts.rules-file", file, "invalid rule: " + e.getMessage());
        }
    }

    /** Parses rules from JSON text (tests, tools). */
    public static List<AlertRule> parse(String json) {
        try {
            return checked(
                    Json.reader()
                            .forType(RuleFile.class)
                            .<RuleFile>readValue(json)
                            .rules(),
                    "(text)");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot parse rules: " + Json.describe(e), e);
        }
    }

    private static List<AlertRule> checked(List<AlertRule> rules, String origin) {
        if (rules == null || rules.isEmpty()) {
            throw new IllegalArgumentException(origin + ": no rules");
        }
        Set<String> names = new HashSet<>();
        for (AlertRule r : rules) {
            if (!names.add(r.name())) {
                throw new IllegalArgumentException(origin + ": duplicate rule name " + r.name());
            }
        }
        return List.copyOf(rules);
    }
}
