package io.vigil.deadletters;

/**
 * The largest dead-letter record the broker will take whole: the smaller of the dead-letter topic's
 * {@code max.message.bytes} and the producer's {@code max.request.size}, less room for the record
 * batch framing. Starts at the broker default and is set from the topic's configuration at startup,
 * before any record is processed; read by every stream thread.
 */
public final class DeadLetterLimit {
    /** Kafka's default for both settings. */
    public static final int KAFKA_DEFAULT_BYTES = 1_048_588;
    /** Record batch and record framing, with room to spare (a v2 batch header is 61 bytes). */
    static final int FRAMING_BYTES = 512;

    private volatile int maxRecordBytes;

    public DeadLetterLimit(int topicMaxMessageBytes, int producerMaxRequestSize) {
        set(topicMaxMessageBytes, producerMaxRequestSize);
    }

    /** A limit at Kafka's defaults. */
    public static DeadLetterLimit kafkaDefaults() {
        return new DeadLetterLimit(KAFKA_DEFAULT_BYTES, 1_048_576);
    }

    /** Updates the limit from the two settings. */
    public void set(int topicMaxMessageBytes, int producerMaxRequestSize) {
        int smaller = Math.min(topicMaxMessageBytes, producerMaxRequestSize);
        this.maxRecordBytes = Math.max(smaller - FRAMING_BYTES, 0);
    }

    /**
     * After the broker refused a dead letter of {@code refusedBytes} (its limit was lowered after Vigil read it,
     * or framing took more than allowed for): at most an eighth of it from now on, so the record is
     * truncated further when its task processes it again (each retry under exactly-once replaces a stream
     * thread, which costs a rebalance: shrink hard, retry once).
     */
    public void shrinkBelow(long refusedBytes) {
        int target = (int) Math.max(0, Math.min(maxRecordBytes, refusedBytes) / 8);
        if (target < maxRecordBytes) {
            maxRecordBytes = target;
        }
    }

    /** Bytes of key, value and headers one dead letter may take. */
    public int maxRecordBytes() {
        return maxRecordBytes;
    }
}
