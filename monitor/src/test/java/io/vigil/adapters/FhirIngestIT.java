package io.vigil.adapters;

import static io.vigil.adapters.fhir.FhirResources.ISSUED;
import static io.vigil.adapters.fhir.FhirResources.MRN;
import static io.vigil.adapters.fhir.FhirResources.report;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vigil.adapters.fhir.FhirJson;
import io.vigil.adapters.fhir.FhirListener;
import io.vigil.adapters.fhir.FhirReceiver;
import io.vigil.adapters.fhir.FhirResources;
import io.vigil.adapters.fhir.FhirTopicSource;
import io.vigil.config.VigilConfig;
import io.vigil.deadletters.DeadLetters;
import io.vigil.events.EventValidator;
import io.vigil.events.GroundTruth;
import io.vigil.events.Validation;
import io.vigil.testing.KafkaBroker;
import io.vigil.testing.MonitorHarness;
import io.vigil.testing.RealKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vigil ingest fhir} against a real broker: resources built with HAPI's R4 model and serialised by its
 * parser are POSTed over real HTTP to the endpoint, which answers 201 (or 200 with a transaction-response Bundle)
 * only once the ground truth is on the topic, 422 with an OperationOutcome and a dead letter for what it cannot
 * map, 400 for what is no FHIR; and records of a source topic take the same way.
 */
@RealKafka
class FhirIngestIT {
    private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");

    private final HttpClient http = HttpClient.newHttpClient();

    private static VigilConfig config(MonitorHarness h, Path state, Map<String, Object> overrides) {
        Map<String, Object> values =
                new HashMap<>(Map.of(VigilConfig.FHIR_PORT, "0", VigilConfig.FHIR_BIND, "127.0.0.1"));
        values.putAll(overrides);
        return h.config(state, values);
    }

    private HttpResponse<String> post(FhirListener listener, String path, String contentType, String body)
            throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + listener.port() + path))
                .header("Content-Type", contentType)
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(FhirListener listener, String path, Resource resource) throws Exception {
        return post(listener, path, "application/fhir+json", FhirJson.write(resource));
    }

    private static GroundTruth groundTruth(ConsumerRecord<byte[], byte[]> r) {
        Validation<GroundTruth> v = new EventValidator().groundTruth(r.value(), NOW);
        assertThat(v.accepted())
                .as("the record passes Vigil's own ground-truth contract")
                .isTrue();
        return ((Validation.Accepted<GroundTruth>) v).value();
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static <T extends Resource> T parse(HttpResponse<String> response, Class<T> type) {
        return type.cast(
                FhirJson.parse(response.body().getBytes(StandardCharsets.UTF_8)).orElseThrow());
    }

    @Test
    void shouldAnswer201WithTheRecordOnTheTopicAndTurnAnAmendmentIntoAHigherRevision(
            KafkaBroker kafka, @TempDir Path state) throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        kafka.createTopic(h.topic("ground-truth"), 3);
        kafka.createTopic(h.topic("dead-letters"), 1);
        try (FhirListener listener = FhirListener.start(config(h, state, Map.of()))) {
            HttpResponse<String> created = post(listener, "/fhir/DiagnosticReport", report("ACC-0001", "10828004"));
            assertThat(created.statusCode()).isEqualTo(201);
            assertThat(created.headers().firstValue("Content-Type")).hasValue("application/fhir+json; charset=utf-8");
            assertThat(parse(created, OperationOutcome.class).getIssueFirstRep().getSeverity())
                    .isEqualTo(OperationOutcome.IssueSeverity.INFORMATION);
            // 201 is sent after the broker acknowledged: the record is there when the answer arrives.
            List<ConsumerRecord<byte[], byte[]>> first = h.readAll(h.topic("ground-truth"));
            assertThat(first).hasSize(1);
            assertThat(new String(first.getFirst().key(), StandardCharsets.UTF_8))
                    .isEqualTo("ACC-0001");
            assertThat(groundTruth(first.getFirst()))
                    .isEqualTo(new GroundTruth("ACC-0001", 1, Instant.parse(ISSUED), "pathology", 0));

            DiagnosticReport amended = report("ACC-0001", "260385009");
            amended.setStatus(DiagnosticReport.DiagnosticReportStatus.AMENDED);
            amended.getIssuedElement().setValueAsString("2026-11-20T10:00:00Z");
            assertThat(post(listener, "/fhir/DiagnosticReport", amended).statusCode())
                    .isEqualTo(201);
            List<ConsumerRecord<byte[], byte[]>> both = h.readAll(h.topic("ground-truth"));
            assertThat(both).hasSize(2);
            ConsumerRecord<byte[], byte[]> revision = both.stream()
                    .filter(r -> groundTruth(r).revision() > 0)
                    .findFirst()
                    .orElseThrow();
            assertThat(revision.partition()).isEqualTo(first.getFirst().partition());
            int expectedRevision = (int) (Instant.parse("2026-11-20T10:00:00Z").getEpochSecond()
                    - Instant.parse("2000-01-01T00:00:00Z").getEpochSecond());
            assertThat(groundTruth(revision))
                    .isEqualTo(new GroundTruth(
                            "ACC-0001", 0, Instant.parse("2026-11-20T10:00:00Z"), "pathology", expectedRevision));

            // Preliminary: 422 with the reason, nothing produced, nothing dead-lettered.
            DiagnosticReport preliminary = report("ACC-0009", "10828004");
            preliminary.setStatus(DiagnosticReport.DiagnosticReportStatus.PRELIMINARY);
            HttpResponse<String> notYet = post(listener, "/fhir/DiagnosticReport", preliminary);
            assertThat(notYet.statusCode()).isEqualTo(422);
            assertThat(parse(notYet, OperationOutcome.class).getIssueFirstRep().getDiagnostics())
                    .isEqualTo("status preliminary is not ground truth yet; send the final result");
            assertThat(h.readAll(h.topic("ground-truth"))).hasSize(2);
            assertThat(h.readAll(h.topic("dead-letters"))).isEmpty();
            assertThat(listener.counts().accepted.get()).isEqualTo(2);
            assertThat(listener.counts().ignored.get()).isEqualTo(1);
        }
    }

    @Test
    void shouldTakeATransactionWholeOrNotAtAll(KafkaBroker kafka, @TempDir Path state) throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        kafka.createTopic(h.topic("ground-truth"), 3);
        kafka.createTopic(h.topic("dead-letters"), 1);
        try (FhirListener listener = FhirListener.start(config(h, state, Map.of()))) {
            Bundle good = FhirResources.transaction(report("ACC-0001", "10828004"), report("ACC-0002", "260385009"));
            HttpResponse<String> ok = post(listener, "/fhir", good);
            assertThat(ok.statusCode()).isEqualTo(200);
            Bundle response = parse(ok, Bundle.class);
            assertThat(response.getType()).isEqualTo(Bundle.BundleType.TRANSACTIONRESPONSE);
            assertThat(response.getEntry())
                    .extracting(e -> e.getResponse().getStatus())
                    .containsExactly("200 OK", "200 OK", "201 Created", "200 OK", "201 Created");
            assertThat(h.readAll(h.topic("ground-truth")))
                    .extracting(FhirIngestIT::groundTruth)
                    .extracting(GroundTruth::predictionId, GroundTruth::label)
                    .containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple("ACC-0001", 1),
                            org.assertj.core.groups.Tuple.tuple("ACC-0002", 0));

            DiagnosticReport noAccession = report("ACC-0004", "10828004");
            noAccession.getIdentifier().clear();
            Bundle bad = FhirResources.transaction(report("ACC-0003", "10828004"), noAccession);
            HttpResponse<String> refused = post(listener, "/fhir", bad);
            assertThat(refused.statusCode()).isEqualTo(422);
            OperationOutcome outcome = parse(refused, OperationOutcome.class);
            assertThat(outcome.getIssue()).singleElement().satisfies(issue -> {
                assertThat(issue.getCode()).isEqualTo(OperationOutcome.IssueType.REQUIRED);
                assertThat(issue.getExpression().getFirst().getValue())
                        .startsWith("Bundle.entry[4].DiagnosticReport.identifier");
                assertThat(issue.getDiagnostics()).contains("no prediction id (accession)");
            });
            // Never an identifier of the patient or the report in the answer.
            assertThat(refused.body()).doesNotContain(MRN, "ACC-000");
            // Nothing of the refused transaction is produced, not even its good report.
            assertThat(h.readAll(h.topic("ground-truth"))).hasSize(2);
            List<ConsumerRecord<byte[], byte[]>> dead = h.readAll(h.topic("dead-letters"));
            assertThat(dead).singleElement().satisfies(r -> {
                assertThat(header(r, DeadLetters.REASON)).isEqualTo("missing_field");
                assertThat(header(r, DeadLetters.STAGE)).isEqualTo(FhirReceiver.STAGE);
                assertThat(header(r, DeadLetters.SOURCE_TOPIC)).isEqualTo(FhirReceiver.HTTP);
                // The whole Bundle, as received, stays in Kafka for whoever fixes the interface.
                assertThat(new String(r.value(), StandardCharsets.UTF_8)).contains("ACC-0003", MRN);
            });
        }
    }

    @Test
    void shouldTakeABatchEntryByEntry(KafkaBroker kafka, @TempDir Path state) throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        kafka.createTopic(h.topic("ground-truth"), 3);
        kafka.createTopic(h.topic("dead-letters"), 1);
        try (FhirListener listener = FhirListener.start(config(h, state, Map.of()))) {
            DiagnosticReport unknownCode = report("ACC-0012", "399999999");
            Bundle batch = FhirResources.transaction(report("ACC-0011", "10828004"), unknownCode);
            batch.setType(Bundle.BundleType.BATCH);
            HttpResponse<String> answer = post(listener, "/fhir", batch);
            assertThat(answer.statusCode()).isEqualTo(200);
            Bundle response = parse(answer, Bundle.class);
            assertThat(response.getType()).isEqualTo(Bundle.BundleType.BATCHRESPONSE);
            assertThat(response.getEntry())
                    .extracting(e -> e.getResponse().getStatus())
                    .containsExactly("200 OK", "200 OK", "201 Created", "200 OK", "422 Unprocessable Entity");
            assertThat(h.readAll(h.topic("ground-truth")))
                    .extracting(FhirIngestIT::groundTruth)
                    .containsExactly(new GroundTruth("ACC-0011", 1, Instant.parse(ISSUED), "pathology", 0));
            assertThat(h.readAll(h.topic("dead-letters"))).singleElement().satisfies(r -> {
                assertThat(header(r, DeadLetters.REASON)).isEqualTo("unknown_enum");
                assertThat(header(r, DeadLetters.PATH))
                        .isEqualTo("Bundle.entry[4].DiagnosticReport.result.valueCodeableConcept");
                // The refused entry's resource, not the whole batch.
                assertThat(new String(r.value(), StandardCharsets.UTF_8))
                        .contains("ACC-0012")
                        .doesNotContain("ACC-0011");
            });
        }
    }

    @Test
    void shouldAnswer503NotCreatedWhenTheBrokerCannotTakeTheRecord(KafkaBroker kafka, @TempDir Path state)
            throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        // The ground-truth topic does not exist and the broker does not create topics: the send fails.
        kafka.createTopic(h.topic("dead-letters"), 1);
        VigilConfig config = config(
                h,
                state,
                Map.of(VigilConfig.TOPIC_GROUND_TRUTH, h.topic("no-such-topic"), "kafka.max.block.ms", "2000"));
        try (FhirListener listener = FhirListener.start(config)) {
            HttpResponse<String> answer = post(listener, "/fhir/DiagnosticReport", report("ACC-0001", "10828004"));
            assertThat(answer.statusCode()).isEqualTo(503);
            assertThat(answer.headers().firstValue("Retry-After")).hasValue("30");
            assertThat(parse(answer, OperationOutcome.class).getIssueFirstRep().getCode())
                    .isEqualTo(OperationOutcome.IssueType.TRANSIENT);
            assertThat(listener.counts().failed.get()).isEqualTo(1);
            assertThat(listener.counts().accepted.get()).isZero();
        }
    }

    @Test
    void shouldRefuseWhatIsNoFhirOrNotServedWithTheRightStatus(KafkaBroker kafka, @TempDir Path state)
            throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        kafka.createTopic(h.topic("ground-truth"), 3);
        kafka.createTopic(h.topic("dead-letters"), 1);
        try (FhirListener listener =
                FhirListener.start(config(h, state, Map.of(VigilConfig.FHIR_MAX_BODY_BYTES, "2048")))) {
            HttpResponse<String> garbage =
                    post(listener, "/fhir/DiagnosticReport", "application/fhir+json", "{not json");
            assertThat(garbage.statusCode()).isEqualTo(400);
            assertThat(parse(garbage, OperationOutcome.class).getIssueFirstRep().getDiagnostics())
                    .contains("not a parseable FHIR R4 JSON resource");
            String reportJson = FhirJson.write(report("ACC-0001", "10828004"));
            assertThat(post(listener, "/fhir/DiagnosticReport", "text/plain", reportJson)
                            .statusCode())
                    .isEqualTo(415);
            assertThat(post(listener, "/fhir/DiagnosticReport", "application/json; charset=utf-8", reportJson)
                            .statusCode())
                    .isEqualTo(201);
            assertThat(post(listener, "/fhir/Observation", "application/fhir+json", reportJson)
                            .statusCode())
                    .isEqualTo(400);
            assertThat(post(listener, "/fhir/Patient", "application/fhir+json", reportJson)
                            .statusCode())
                    .isEqualTo(404);
            assertThat(post(listener, "/fhir/DiagnosticReport", "application/fhir+json", "x".repeat(4096))
                            .statusCode())
                    .isEqualTo(413);
            HttpResponse<String> get = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + listener.port() + "/fhir/Observation"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(get.statusCode()).isEqualTo(405);
            assertThat(get.headers().firstValue("Allow")).hasValue("POST");
            HttpResponse<String> unknownCode =
                    post(listener, "/fhir/DiagnosticReport", report("ACC-0002", "399999999"));
            assertThat(unknownCode.statusCode()).isEqualTo(422);
            assertThat(parse(unknownCode, OperationOutcome.class)
                            .getIssueFirstRep()
                            .getCode())
                    .isEqualTo(OperationOutcome.IssueType.CODEINVALID);
            assertThat(h.readAll(h.topic("dead-letters")))
                    .extracting(r -> header(r, DeadLetters.REASON))
                    .containsExactly("invalid", "unknown_enum", "unknown_enum");
        }
    }

    @Test
    void shouldMapResourcesOfTheSourceTopicTheSameWay(KafkaBroker kafka, @TempDir Path state) throws Exception {
        MonitorHarness h = new MonitorHarness(kafka);
        kafka.createTopic(h.topic("ground-truth"), 3);
        kafka.createTopic(h.topic("dead-letters"), 1);
        kafka.createTopic(h.topic("fhir-in"), 1);
        VigilConfig config = config(h, state, Map.of(VigilConfig.FHIR_SOURCE_TOPIC, h.topic("fhir-in")));
        DiagnosticReport noAccession = report("ACC-0006", "10828004");
        noAccession.getIdentifier().clear();
        try (KafkaProducer<byte[], byte[]> producer = h.producer();
                FhirTopicSource source = FhirTopicSource.start(config, FhirListener.mapping(config))) {
            for (Resource r : List.of(report("ACC-0005", "10828004"), noAccession)) {
                producer.send(new ProducerRecord<>(
                                h.topic("fhir-in"), null, FhirJson.write(r).getBytes(StandardCharsets.UTF_8)))
                        .get();
            }
            producer.send(new ProducerRecord<>(h.topic("fhir-in"), null, "garbage".getBytes(StandardCharsets.UTF_8)))
                    .get();
            await("ground truth and dead letters from the source topic")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> source.counts().deadLettered.get() == 2);
            assertThat(h.readAll(h.topic("ground-truth")))
                    .extracting(FhirIngestIT::groundTruth)
                    .containsExactly(new GroundTruth("ACC-0005", 1, Instant.parse(ISSUED), "pathology", 0));
            List<ConsumerRecord<byte[], byte[]>> dead = h.readAll(h.topic("dead-letters"));
            assertThat(dead).hasSize(2);
            assertThat(dead).extracting(r -> header(r, DeadLetters.REASON)).containsExactly("missing_field", "invalid");
            assertThat(dead)
                    .extracting(r -> header(r, DeadLetters.SOURCE_TOPIC))
                    .containsOnly(h.topic("fhir-in"));
            assertThat(dead)
                    .extracting(r -> header(r, DeadLetters.SOURCE_OFFSET))
                    .containsExactly("1", "2");
        }
    }
}
