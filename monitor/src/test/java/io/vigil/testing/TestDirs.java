package io.vigil.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A fresh state directory per TopologyTestDriver, so parallel test JVMs never share RocksDB locks. */
public final class TestDirs {
    private TestDirs() {}

    public static Path fresh() {
        try {
            Path dir = Files.createTempDirectory("vigil-test-state-");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
