package io.vigil.adapters.hl7;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.config.VigilConfig;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class Hl7ListenerTest {

    private static VigilConfig config(int port, Map<String, Object> more) {
        Map<String, Object> values = new java.util.HashMap<>(Map.of(
                VigilConfig.BOOTSTRAP_SERVERS, "127.0.0.1:9",
                VigilConfig.HL7_BIND, "127.0.0.1",
                VigilConfig.HL7_PORT, Integer.toString(port)));
        values.putAll(more);
        return new VigilConfig(values);
    }

    @Test
    void shouldFailToStartAndCloseTheProducerWhenThePortIsTaken() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            MockProducer<byte[], byte[]> producer =
                    new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
            assertThatThrownBy(() ->
                            Hl7Listener.start(config(taken.getLocalPort(), Map.of()), Hl7Mapping.defaults(), producer))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot listen on 127.0.0.1:" + taken.getLocalPort());
            assertThat(producer.closed()).isTrue();
        }
    }

    @Test
    void shouldBindTheConfiguredAddressAndAFreePortWhenThePortIsZero() {
        MockProducer<byte[], byte[]> producer =
                new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        try (Hl7Listener listener = Hl7Listener.start(config(0, Map.of()), Hl7Mapping.defaults(), producer)) {
            assertThat(listener.port()).isPositive();
        }
        assertThat(producer.closed()).isTrue();
    }

    @Test
    void shouldKeepTheProducerIdempotentWithAcksAllWhateverTheKafkaSettingsSay() {
        Map<String, Object> p = Hl7Listener.producerSettings(
                config(0, Map.of("kafka.acks", "1", "kafka.enable.idempotence", "false", "kafka.max.block.ms", "5")));
        assertThat(p).containsEntry(ProducerConfig.ACKS_CONFIG, "all");
        assertThat(p).containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        assertThat(p).containsEntry(ProducerConfig.MAX_BLOCK_MS_CONFIG, "5");
        assertThat(p).containsEntry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
    }
}
