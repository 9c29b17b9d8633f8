package io.vigil.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VigilConfigTest {
    private static final Map<String, String> MINIMAL = Map.of(VigilConfig.BOOTSTRAP_SERVERS, "127.0.0.1:9092");

    @Test
    void shouldMapEnvironmentVariablesToKeysWhenTheyStartWithVigil() {
        Map<String, String> env = Map.of(
                "VIGIL_TOPIC_GROUND_TRUTH", "gt",
                "VIGIL_KAFKA_SASL_JAAS_CONFIG", "jaas",
                "VIGIL_INGEST_MAX_FUTURE_SKEW", "1000",
                "PATH", "/usr/bin");
        assertThat(EnvironmentConfig.fromEnvironment(env))
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "topic.ground-truth", "gt",
                        "kafka.sasl.jaas.config", "jaas",
                        "ingest.max-future-skew", "1000"));
    }

    @Test
    void shouldFailNamingTheVariableWhenAVigilVariableMapsToNothing() {
        assertThatThrownBy(() -> EnvironmentConfig.fromEnvironment(Map.of("VIGIL_TOPIC_PREDICTONS", "x")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("VIGIL_TOPIC_PREDICTONS");
    }

    @Test
    void shouldFailNamingTheKeyWhenASettingIsUnknown() {
        assertThatThrownBy(() -> new VigilConfig(Map.of(VigilConfig.BOOTSTRAP_SERVERS, "h:1", "topic.predictons", "x")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("topic.predictons");
    }

    @Test
    void shouldNameTheMistypedKeyAndTheNearestSettingBeforeComplainingThatARequiredOneIsMissing() {
        // bootstrap.servers is missing because it was misspelt: the typo is the message, not the missing key.
        assertThatThrownBy(() -> new VigilConfig(Map.of("bootstrap.server", "h:1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("bootstrap.server")
                .hasMessageContaining("Did you mean 'bootstrap.servers'?");
        assertThatThrownBy(() -> new VigilConfig(Map.of(VigilConfig.BOOTSTRAP_SERVERS, "h:1", "zzz.qqq", "x")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("zzz.qqq")
                .hasMessageNotContaining("Did you mean");
    }

    @Test
    void shouldSayInOneSentenceWhyTheConfigFileCannotBeRead(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        assertThatThrownBy(() -> EnvironmentConfig.fromFile(dir.resolve("vigil.properties")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Cannot read config file " + dir.resolve("vigil.properties") + ": no such file");
    }

    @Test
    void shouldFailNamingKeyAndValueWhenAValueIsOutOfRange() {
        assertThatThrownBy(() ->
                        new VigilConfig(Map.of(VigilConfig.BOOTSTRAP_SERVERS, "h:1", VigilConfig.HTTP_PORT, "70000")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.port")
                .hasMessageContaining("70000");
        assertThatThrownBy(() -> new VigilConfig(
                        Map.of(VigilConfig.BOOTSTRAP_SERVERS, "h:1", VigilConfig.DRIFT_WINDOWS, "7days")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("drift.windows");
    }

    @Test
    void shouldRequireBootstrapServersWhenAbsent() {
        assertThatThrownBy(() -> new VigilConfig(Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("bootstrap.servers");
    }

    @Test
    void shouldDefaultToExactlyOnceAndPassKafkaSettingsThroughWhenBuildingStreamsProperties() {
        Properties p = new VigilConfig(
                        Map.of(VigilConfig.BOOTSTRAP_SERVERS, "h:1", "kafka.security.protocol", "SASL_SSL"))
                .streamsProperties();
        assertThat(p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
        assertThat(p.get("security.protocol")).isEqualTo("SASL_SSL");
        assertThat(p.get("bootstrap.servers")).isEqualTo("h:1");
        assertThat(p.get(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG))
                .isEqualTo(true);
    }

    @Test
    void shouldGiveStreamsProducersASixtySecondTransactionTimeoutUnlessOneIsConfigured() {
        // What the stream threads' producers really get, after Streams applies its exactly-once overrides.
        Map<String, Object> byDefault =
                new StreamsConfig(new VigilConfig(MINIMAL).streamsProperties()).getProducerConfigs("p");
        assertThat(byDefault.get(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)).isEqualTo(60_000);
        Map<String, Object> configured = new StreamsConfig(new VigilConfig(
                                Map.of(VigilConfig.BOOTSTRAP_SERVERS, "h:1", "kafka.transaction.timeout.ms", "15000"))
                        .streamsProperties())
                .getProducerConfigs("p");
        assertThat(configured.get(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)).isEqualTo("15000");
        Map<String, Object> prefixed = new StreamsConfig(new VigilConfig(Map.of(
                                VigilConfig.BOOTSTRAP_SERVERS, "h:1", "kafka.producer.transaction.timeout.ms", "20000"))
                        .streamsProperties())
                .getProducerConfigs("p");
        assertThat(prefixed.get(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)).isEqualTo("20000");
    }

    @Test
    void shouldGiveStreamsProducersLargeCompressedBatchesUnlessConfiguredOtherwise() {
        StreamsConfig byDefault = new StreamsConfig(new VigilConfig(MINIMAL).streamsProperties());
        Map<String, Object> producer = byDefault.getProducerConfigs("p");
        assertThat(producer.get(ProducerConfig.BATCH_SIZE_CONFIG)).isEqualTo(262_144);
        assertThat(producer.get(ProducerConfig.COMPRESSION_TYPE_CONFIG)).isEqualTo("lz4");
        assertThat(producer.get(ProducerConfig.BUFFER_MEMORY_CONFIG)).isEqualTo(67_108_864L);
        // Producer settings only: the consumers and the admin client never see them.
        assertThat(byDefault.getMainConsumerConfigs("g", "c", 0)).doesNotContainKey(ProducerConfig.BATCH_SIZE_CONFIG);
        assertThat(byDefault.getAdminConfigs("a")).doesNotContainKey(ProducerConfig.COMPRESSION_TYPE_CONFIG);

        Map<String, Object> configured = new StreamsConfig(new VigilConfig(Map.of(
                                VigilConfig.BOOTSTRAP_SERVERS,
                                "h:1",
                                "kafka.batch.size",
                                "16384",
                                "kafka.producer.compression.type",
                                "none"))
                        .streamsProperties())
                .getProducerConfigs("p");
        assertThat(configured.get(ProducerConfig.BATCH_SIZE_CONFIG)).isEqualTo("16384");
        assertThat(configured.get(ProducerConfig.COMPRESSION_TYPE_CONFIG)).isEqualTo("none");
    }

    @Test
    void shouldWarnAboutATransactionTimeoutABrokerRestartCanOutlast() {
        assertThat(new VigilConfig(MINIMAL).transactionTimeoutWarning()).isEmpty();
        assertThat(new VigilConfig(
                                Map.of(VigilConfig.BOOTSTRAP_SERVERS, "h:1", "kafka.transaction.timeout.ms", "10000"))
                        .transactionTimeoutWarning())
                .get()
                .asString()
                .contains("10000 ms", "counted twice");
        assertThat(new VigilConfig(Map.of(
                                VigilConfig.BOOTSTRAP_SERVERS,
                                "h:1",
                                "kafka.transaction.timeout.ms",
                                "10000",
                                "kafka.producer.transaction.timeout.ms",
                                "120000"))
                        .transactionTimeoutWarning())
                .isEmpty();
        assertThat(new VigilConfig(Map.of(
                                VigilConfig.BOOTSTRAP_SERVERS, "h:1", "kafka.producer.transaction.timeout.ms", "20000"))
                        .transactionTimeoutWarning())
                .isPresent();
        assertThat(new VigilConfig(Map.of(
                                VigilConfig.BOOTSTRAP_SERVERS,
                                "h:1",
                                "kafka.transaction.timeout.ms",
                                "10000",
                                VigilConfig.PROCESSING_GUARANTEE,
                                "at_least_once"))
                        .transactionTimeoutWarning())
                .isEmpty();
    }

    @Test
    void shouldLetEnvironmentOverrideFileAndOverridesWinWhenAllAreGiven(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("vigil.properties");
        Files.writeString(file, "bootstrap.servers=file:1\nhttp.port=1000\ntopic.predictions=from-file\n");
        VigilConfig c = EnvironmentConfig.load(
                file, Map.of("VIGIL_HTTP_PORT", "2000"), Map.of("topic.predictions", "from-cli"));
        assertThat(c.getInt(VigilConfig.HTTP_PORT)).isEqualTo(2000);
        assertThat(c.getString(VigilConfig.TOPIC_PREDICTIONS)).isEqualTo("from-cli");
        assertThat(c.getList(VigilConfig.BOOTSTRAP_SERVERS)).containsExactly("file:1");
        assertThat(new VigilConfig(MINIMAL).getString(VigilConfig.TOPIC_PREDICTIONS))
                .isEqualTo("vigil.predictions");
    }
}
