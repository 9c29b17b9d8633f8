package io.vigil.cli;

import io.vigil.config.EnvironmentConfig;
import io.vigil.config.VigilConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Option;

/**
 * The settings options of every command that works with Vigil's settings ({@code run}, {@code doctor} and the
 * {@code ingest} adapters), mixed in with picocli's {@code @Mixin}: a properties file, {@code VIGIL_*}
 * environment variables over it, and {@code --set} over both.
 */
final class SettingsOptions {
    @Option(
            names = {"-c", "--config"},
            description = "Properties file with Vigil settings.")
    Path configFile;

    @Option(names = "--set", description = "Override one setting, key=value (repeatable).")
    Map<String, String> overrides = new HashMap<>();

    /**
     * The settings from the file, the environment and the overrides.
     *
     * @throws ConfigException naming the setting that is missing or invalid
     */
    VigilConfig load() {
        return EnvironmentConfig.load(configFile, System.getenv(), overrides);
    }
}
