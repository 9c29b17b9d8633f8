package io.vigil.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Maps environment variables to config keys, as a pure function over a map.
 *
 * <p>A declared key {@code topic.ground-truth} is read from {@code VIGIL_TOPIC_GROUND_TRUTH}
 * (upper case, dots and dashes as underscores). Any other {@code VIGIL_KAFKA_X_Y} becomes the
 * Kafka client setting {@code kafka.x.y} (Kafka keys use dots only). Other {@code VIGIL_}
 * variables are rejected, so a misspelt variable is not silently ignored. Webhook endpoint settings,
 * whose names are not declared, map as {@code VIGIL_ALERTS_WEBHOOK_OPS_PAGER_SECRET} ->
 * {@code alerts.webhook.ops-pager.secret} (suffixes {@code URL}, {@code SECRET}, {@code SECRET_FILE},
 * {@code FORMAT}; underscores in the name become dashes).
 */
public final class EnvironmentConfig {

    static final String PREFIX = "VIGIL_";

    private EnvironmentConfig() {}

    /** The environment variable that sets a declared key. */
    public static String variableFor(String key) {
        return PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** Config values found in {@code env}; variables not starting with {@code VIGIL_} are ignored. */
    public static Map<String, String> fromEnvironment(Map<String, String> env) {
        Map<String, String> byVariable = new HashMap<>();
        for (String key : VigilConfig.DEF.names()) {
            byVariable.put(variableFor(key), key);
        }
        Map<String, String> out = new HashMap<>();
        String kafkaPrefix = PREFIX + "KAFKA_";
        for (Map.Entry<String, String> e : env.entrySet()) {
            String name = e.getKey();
            if (!name.startsWith(PREFIX)) {
                continue;
            }
            String key = byVariable.get(name);
            if (key == null && name.startsWith(kafkaPrefix)) {
                key = VigilConfig.KAFKA_PREFIX
                        + name.substring(kafkaPrefix.length())
                                .toLowerCase(Locale.ROOT)
                                .replace('_', '.');
            }
            if (key == null) {
                key = webhookKey(name);
            }
            if (key == null) {
                throw new org.apache.kafka.common.config.ConfigException(
                        name, "(set)", "Unknown environment variable: no setting maps to it.");
            }
            out.put(key, e.getValue());
        }
        return out;
    }

    private static String webhookKey(String variable) {
        String prefix = PREFIX + "ALERTS_WEBHOOK_";
        if (!variable.startsWith(prefix)) {
            return null;
        }
        String rest = variable.substring(prefix.length());
        for (String suffix : new String[] {"_SECRET_FILE", "_SECRET", "_URL", "_FORMAT"}) {
            if (rest.endsWith(suffix) && rest.length() > suffix.length()) {
                String endpoint = rest.substring(0, rest.length() - suffix.length())
                        .toLowerCase(Locale.ROOT)
                        .replace('_', '-');
                return VigilConfig.ALERTS_WEBHOOK_PREFIX + endpoint + "."
                        + suffix.substring(1).toLowerCase(Locale.ROOT).replace('_', '-');
            }
        }
        return null;
    }

    /** Reads a Java properties file. */
    public static Map<String, String> fromFile(Path file) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new org.apache.kafka.common.config.ConfigException(
                    "Cannot read config file " + file + ": " + ReadErrors.describe(e));
        }
        Map<String, String> out = new HashMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
        return out;
    }

    /** Defaults &lt; file &lt; environment &lt; overrides. */
    public static VigilConfig load(Path file, Map<String, String> env, Map<String, String> overrides) {
        Map<String, Object> values = new HashMap<>();
        if (file != null) {
            values.putAll(fromFile(file));
        }
        values.putAll(fromEnvironment(env));
        values.putAll(overrides);
        return new VigilConfig(values);
    }
}
