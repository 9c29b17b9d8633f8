package io.vigil.adapters.dicom;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.deadletters.DeadLetters;
import io.vigil.events.Reason;
import io.vigil.serde.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Sends the predictions of DICOM SR documents to the predictions topic (keyed by prediction id, as the
 * outcome join expects) and dead-letters each document that holds a result it cannot map, whole, with
 * the reason in the dead-letter headers. A document counts as done only when the broker acknowledged
 * everything sent for it.
 */
public final class DicomSrIngest {
    /** The stage name in the dead-letter headers. */
    public static final String STAGE = "ingest-dicom-sr";

    private final DicomSrPredictions mapper;
    private final Producer<byte[], byte[]> producer;
    private final String predictionsTopic;
    private final String deadLetterTopic;
    private final int deadLetterMaxBytes;

    public DicomSrIngest(
            DicomSrPredictions mapper,
            Producer<byte[], byte[]> producer,
            String predictionsTopic,
            String deadLetterTopic,
            int deadLetterMaxBytes) {
        this.mapper = mapper;
        this.producer = producer;
        this.predictionsTopic = predictionsTopic;
        this.deadLetterTopic = deadLetterTopic;
        this.deadLetterMaxBytes = deadLetterMaxBytes;
    }

    /** What happened to one document: predictions sent, and the reasons of results not sent. */
    public record Outcome(int sent, List<String> rejected) {}

    /**
     * Maps one document and sends what it gives; returns once the broker acknowledged it all.
     *
     * @param source names the document in the dead letter's source header (a file name; never a value from
     *     inside the document)
     * @throws ExecutionException when the broker refused a record: nothing of the document is known to be
     *     sent, so it must be sent again (an idempotent retry: the same prediction ids)
     */
    public Outcome ingest(byte[] document, String source) throws ExecutionException, InterruptedException {
        List<String> rejected = new ArrayList<>();
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        JsonNode tree;
        try {
            tree = Json.mapper().readTree(document);
        } catch (IOException e) {
            tree = null;
        }
        if (tree == null || !(tree.isObject() || tree.isArray())) {
            rejected.add("not a DICOM JSON dataset or array of datasets");
        } else {
            for (DicomSrPredictions.Mapped m : mapper.map(tree)) {
                if (m.accepted()) {
                    byte[] key = m.prediction().predictionId().getBytes(StandardCharsets.UTF_8);
                    byte[] value;
                    try {
                        value = Json.writer().writeValueAsBytes(m.prediction());
                    } catch (IOException e) {
                        throw new IllegalStateException("a mapped prediction must serialise", e);
                    }
                    sends.add(producer.send(new ProducerRecord<>(predictionsTopic, key, value)));
                } else {
                    rejected.add(m.reason());
                }
            }
        }
        if (!rejected.isEmpty()) {
            Reason reason = new Reason(Reason.INVALID, "", String.join("; ", rejected));
            sends.add(producer.send(DeadLetters.record(
                    deadLetterTopic, null, document, null, STAGE, reason, source, -1, -1L, deadLetterMaxBytes)));
        }
        for (Future<RecordMetadata> f : sends) {
            f.get();
        }
        return new Outcome(sends.size() - (rejected.isEmpty() ? 0 : 1), List.copyOf(rejected));
    }
}
