package io.vigil.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.CompressionType;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * The default RocksDB setter on a real RocksDB (the native library Kafka Streams bundles): LZ4 must be
 * linked into it (else the first flush fails), and join-like values must take less disk with it.
 */
class RocksDbCompressionTest {

    @Test
    void shouldBeVigilsDefaultAndShrinkAStoreOfRepetitiveValues(@TempDir Path dir) throws Exception {
        Properties vigil = new VigilConfig(Map.of(VigilConfig.BOOTSTRAP_SERVERS, "h:1")).streamsProperties();
        assertThat(vigil.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG)).isEqualTo(RocksDbCompression.class);

        long compressed = storeBytes(dir.resolve("lz4"), new RocksDbCompression());
        long plain = storeBytes(dir.resolve("plain"), null);
        assertThat(plain).isGreaterThan(1_000_000);
        // Slice-name-like values repeat across records: LZ4 blocks hold them in well under half the space.
        assertThat(compressed).isLessThan(plain / 2);
    }

    /** Writes 20,000 values shaped like the join's (repeated slice names, a unique id) and returns the SST bytes. */
    private static long storeBytes(Path dbDir, RocksDBConfigSetter setter) throws Exception {
        RocksDB.loadLibrary();
        // As Kafka Streams opens its stores (RocksDBStore: no compression), then the setter.
        try (Options options =
                new Options().setCreateIfMissing(true).setCompressionType(CompressionType.NO_COMPRESSION)) {
            if (setter != null) {
                setter.setConfig("s", options, Map.of());
            }
            try (RocksDB db = RocksDB.open(options, dbDir.toString());
                    FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
                for (int i = 0; i < 20_000; i++) {
                    String site = "site-" + (i % 12);
                    String value = "cxr-triage|3.2.1|all|all;cxr-triage|3.2.1|site|" + site
                            + ";cxr-triage|3.2.1|scanner_model|Siemens Healthineers Ysio Max;cxr-triage|3.2.1|sex|"
                            + (i % 2 == 0 ? "F" : "M") + ";score=" + (i * 7919 % 10_000) / 10_000.0;
                    db.put(
                            ("prediction-" + i).getBytes(StandardCharsets.UTF_8),
                            value.getBytes(StandardCharsets.UTF_8));
                }
                db.flush(flush);
            }
        }
        try (var files = Files.walk(dbDir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".sst"))
                    .mapToLong(f -> f.toFile().length())
                    .sum();
        }
    }
}
