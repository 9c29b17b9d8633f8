package io.vigil.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * When a record counts as in place. That {@link JoinPartitions#partitionOf} is where the real Java producer and
 * librdkafka's {@code murmur2_random} put a keyed record is {@link JoinPartitionsIT}.
 */
class JoinPartitionsTest {

    @Test
    void shouldJudgeARecordInPlaceOnlyInItsOwnPartitionAndNeverBeforeTheCountIsKnown() {
        JoinPartitions partitions = JoinPartitions.unknown();
        int home = JoinPartitions.partitionOf("p-42", 6);
        for (int p = 0; p < 6; p++) {
            assertThat(partitions.inPlace("p-42", p)).isFalse();
        }
        partitions.set(6);
        for (int p = 0; p < 6; p++) {
            assertThat(partitions.inPlace("p-42", p)).isEqualTo(p == home);
        }
        assertThat(JoinPartitions.of(1).inPlace("p-42", 0)).isTrue();
        assertThatThrownBy(() -> partitions.set(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldSpreadIdsOverEveryPartition() {
        int[] seen = new int[7];
        for (int i = 0; i < 7_000; i++) {
            seen[JoinPartitions.partitionOf("p-" + i, 7)]++;
        }
        // 1,000 expected in each; a hash that ignored bytes or lost the sign would leave some empty.
        assertThat(java.util.Arrays.stream(seen).min().orElseThrow()).isGreaterThanOrEqualTo(880);
        assertThat(java.util.Arrays.stream(seen).max().orElseThrow()).isLessThanOrEqualTo(1_120);
    }
}
