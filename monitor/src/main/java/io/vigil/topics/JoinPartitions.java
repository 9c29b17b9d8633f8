package io.vigil.topics;

import java.nio.charset.StandardCharsets;

/**
 * Which partition of the outcome join a prediction id belongs to: {@code murmur2(UTF-8 id) mod N}, the
 * partition Kafka's default partitioner (Java producer, Kafka Streams' repartition topics) gives a record
 * keyed by that id, with {@code N} the join's partition count, the larger of the two input topics' (the
 * count Kafka Streams gives the join's repartition topic). A record already in that partition of its input
 * topic is joined where it is; any other record goes through the repartition topic first.
 *
 * <p>{@code N} is read from the broker at startup ({@link #set}), before any record is processed; until
 * then it is 0 and no record counts as in place, so every record is repartitioned: always correct, only
 * slower. Read by every stream thread.
 */
public final class JoinPartitions {
    private volatile int count;

    /** Partition count not known (yet): every record takes the repartition topic. */
    public static JoinPartitions unknown() {
        return new JoinPartitions();
    }

    /** A known partition count (tests; startup uses {@link #set}). */
    public static JoinPartitions of(int count) {
        JoinPartitions p = new JoinPartitions();
        p.set(count);
        return p;
    }

    private JoinPartitions() {}

    /** @param count the join's partition count: the larger of the two input topics' counts */
    public void set(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("a partition count is at least 1, got " + count);
        }
        this.count = count;
    }

    /** The join's partition count, 0 when not known. */
    public int count() {
        return count;
    }

    /** Whether a record of {@code predictionId} read from {@code partition} is already in its join partition. */
    public boolean inPlace(String predictionId, int partition) {
        int n = count;
        return n > 0 && partitionOf(predictionId, n) == partition;
    }

    /** The partition Kafka's default partitioner gives a record keyed by the UTF-8 bytes of {@code id}. */
    public static int partitionOf(String id, int partitions) {
        return (murmur2(id.getBytes(StandardCharsets.UTF_8)) & 0x7fffffff) % partitions;
    }

    /** MurmurHash2, 32-bit, seed 0x9747b28c: the hash of Kafka's default partitioner. */
    static int murmur2(byte[] data) {
        final int m = 0x5bd1e995;
        final int r = 24;
        int length = data.length;
        int h = 0x9747b28c ^ length;
        int whole = length & ~3;
        for (int i = 0; i < whole; i += 4) {
            int k = (data[i] & 0xff)
                    | (data[i + 1] & 0xff) << 8
                    | (data[i + 2] & 0xff) << 16
                    | (data[i + 3] & 0xff) << 24;
            k *= m;
            k ^= k >>> r;
            k *= m;
            h *= m;
            h ^= k;
        }
        switch (length & 3) {
            case 3:
                h ^= (data[whole + 2] & 0xff) << 16;
            // fall through
            case 2:
                h ^= (data[whole + 1] & 0xff) << 8;
            // fall through
            case 1:
                h ^= data[whole] & 0xff;
                h *= m;
                break;
            default:
                break;
        }
        h ^= h >>> 13;
        h *= m;
        h ^= h >>> 15;
        return h;
    }
}
