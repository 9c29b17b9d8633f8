package io.vigil.adapters.dicom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.app.Monitor;
import io.vigil.deadletters.DeadLetters;
import io.vigil.testing.KafkaBroker;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.RealKafka;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DICOM SR results through the adapter, a real broker and a running monitor: a mappable report arrives as
 * one prediction that Vigil's own ingest accepts; an unmappable one is dead-lettered whole with its reason.
 */
@RealKafka
class DicomSrIngestIT {
    private static final String SECRET = "a-site-secret-of-32-bytes-length";

    @Test
    void shouldDeliverAMappedReportToTheMonitorAndDeadLetterAnUnmappableOne(KafkaBroker kafka, @TempDir Path state)
            throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        ObjectMapper json = new ObjectMapper();
        byte[] good;
        ArrayNode bad;
        try (InputStream in = getClass().getResourceAsStream("/adapters/dicom/study-metadata.json")) {
            good = in.readAllBytes();
        }
        bad = (ArrayNode) json.readTree(good);
        ((ObjectNode) bad.get(1)).remove("00080050"); // no AccessionNumber: no join key
        byte[] badBytes = json.writeValueAsBytes(bad);
        DicomSrMapping mapping =
                new DicomSrMapping(null, null, null, null, null, null, Map.of("General Hospital", "S01"), null, null);

        try (Monitor monitor = new Monitor(h.config(state, Map.of())).start();
                KafkaProducer<byte[], byte[]> producer = h.producer()) {
            await("monitor running").atMost(Duration.ofSeconds(60)).until(monitor::isRunning);
            DicomSrIngest ingest = new DicomSrIngest(
                    new DicomSrPredictions(mapping, SECRET),
                    producer,
                    h.topic("predictions"),
                    h.topic("dead-letters"),
                    1_000_000);

            DicomSrIngest.Outcome sent = ingest.ingest(good, "study-metadata.json");
            DicomSrIngest.Outcome refused = ingest.ingest(badBytes, "no-accession.json");

            assertThat(sent).isEqualTo(new DicomSrIngest.Outcome(1, List.of()));
            assertThat(refused).isEqualTo(new DicomSrIngest.Outcome(0, List.of("missing AccessionNumber (0008,0050)")));
            String uri = monitor.http().uri();
            await("the prediction accepted by Vigil's ingest")
                    .atMost(Duration.ofSeconds(60))
                    .untilAsserted(() -> {
                        String metrics = h.get(uri, "/metrics");
                        assertThat(MonitorHarness.ingestCount(metrics, "predictions", "accepted", null))
                                .isEqualTo(1);
                    });
            List<ConsumerRecord<byte[], byte[]>> predictions = h.readAll(h.topic("predictions"));
            assertThat(predictions).singleElement().satisfies(r -> {
                assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("ACC-1001");
                assertThat(new String(r.value(), StandardCharsets.UTF_8))
                        .contains("\"score\":0.87", "\"site\":\"S01\"")
                        .doesNotContain("SN12345", "PAT-778899");
            });
            List<ConsumerRecord<byte[], byte[]>> dead = h.readAll(h.topic("dead-letters"));
            assertThat(dead).singleElement().satisfies(r -> {
                assertThat(r.value()).isEqualTo(badBytes);
                assertThat(header(r, DeadLetters.STAGE)).isEqualTo(DicomSrIngest.STAGE);
                assertThat(header(r, DeadLetters.REASON)).isEqualTo("invalid");
                assertThat(header(r, DeadLetters.MESSAGE)).isEqualTo("missing AccessionNumber (0008,0050)");
                assertThat(header(r, DeadLetters.SOURCE_TOPIC)).isEqualTo("no-accession.json");
            });
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }
}
