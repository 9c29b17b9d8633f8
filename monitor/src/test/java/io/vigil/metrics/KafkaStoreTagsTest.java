package io.vigil.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

class KafkaStoreTagsTest {

    /** Two stores' put latency as Kafka Streams' binder registers them: the tag key names the store type. */
    private static String scrapeAfterRegisteringTwoStores(PrometheusMeterRegistry registry) {
        Gauge.builder("kafka.stream.state.put.latency.avg", () -> 1.5)
                .tags(Tags.of(
                        "kafka.version",
                        "4.3.1",
                        "in.memory.state.id",
                        "alerts-latest",
                        "task.id",
                        "4_0",
                        "thread.id",
                        "StreamThread-1"))
                .register(registry);
        Gauge.builder("kafka.stream.state.put.latency.avg", () -> 2.5)
                .tags(Tags.of(
                        "kafka.version",
                        "4.3.1",
                        "rocksdb.state.id",
                        "outcome-join-predictions",
                        "task.id",
                        "0_1",
                        "thread.id",
                        "StreamThread-2"))
                .register(registry);
        return registry.scrape();
    }

    @Test
    void withoutTheFilterPrometheusKeepsOnlyTheFirstStoreType() {
        String scrape = scrapeAfterRegisteringTwoStores(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));

        assertThat(scrape).contains("in_memory_state_id=\"alerts-latest\"").doesNotContain("outcome-join-predictions");
    }

    @Test
    void everyStoreIsExportedWithTheSameLabelNames() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(new KafkaStoreTags());

        String scrape = scrapeAfterRegisteringTwoStores(registry);

        assertThat(scrape)
                .contains("kafka_stream_state_put_latency_avg{kafka_version=\"4.3.1\",state_id=\"alerts-latest\","
                        + "store_type=\"in.memory\",task_id=\"4_0\",thread_id=\"StreamThread-1\"} 1.5")
                .contains(
                        "kafka_stream_state_put_latency_avg{kafka_version=\"4.3.1\",state_id=\"outcome-join-predictions\","
                                + "store_type=\"rocksdb\",task_id=\"0_1\",thread_id=\"StreamThread-2\"} 2.5");
    }

    @Test
    void otherMetricsKeepTheirTags() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(new KafkaStoreTags());
        Gauge.builder("kafka.stream.thread.process.rate", () -> 3.0)
                .tags(Tags.of("thread.id", "StreamThread-1", "rocksdb.state.id", "x"))
                .register(registry);

        assertThat(registry.scrape())
                .contains("kafka_stream_thread_process_rate{rocksdb_state_id=\"x\",thread_id=\"StreamThread-1\"} 3.0");
    }
}
