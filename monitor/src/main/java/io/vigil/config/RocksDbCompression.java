package io.vigil.config;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.CompressionType;
import org.rocksdb.Options;

/**
 * Vigil's default {@code rocksdb.config.setter}: LZ4 block compression for every RocksDB store
 * (Kafka Streams writes them uncompressed). The outcome join keeps every prediction until its label
 * arrives, months later, each with its slice names, which repeat from one prediction to the next: the
 * store is mostly disk, read once per label, so blocks compress well and are rarely decompressed.
 * Everything else stays at Kafka Streams' defaults. {@code kafka.rocksdb.config.setter} replaces it.
 */
public final class RocksDbCompression implements RocksDBConfigSetter {
    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        options.setCompressionType(CompressionType.LZ4_COMPRESSION);
    }

    @Override
    public void close(String storeName, Options options) {
        // nothing allocated
    }
}
