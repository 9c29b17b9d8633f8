package io.vigil.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.util.Arrays;

/**
 * Real external peers (promtool, Prometheus, Chromium) used by tests. Where {@code CI=true} a missing
 * tool fails the test (.ci/run installs them all); on a developer machine it skips with the command
 * that installs it.
 */
public final class Tools {
    private Tools() {}

    public static boolean onPath(String command) {
        String path = System.getenv().getOrDefault("PATH", "");
        return Arrays.stream(path.split(File.pathSeparator)).anyMatch(dir -> new File(dir, command).canExecute());
    }

    /** Skips (developer machine) or fails (CI) unless every command is on the PATH. */
    public static void require(String debianPackages, String... commands) {
        for (String command : commands) {
            boolean present = onPath(command);
            if (!present && "true".equals(System.getenv("CI"))) {
                throw new AssertionError(command + " is missing on CI; .ci/run must install " + debianPackages);
            }
            assumeTrue(present, command + " not installed: apt-get install -y " + debianPackages);
        }
    }
}
