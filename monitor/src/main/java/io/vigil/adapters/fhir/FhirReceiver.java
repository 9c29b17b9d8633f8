package io.vigil.adapters.fhir;

import io.vigil.adapters.AcknowledgedSends;
import io.vigil.deadletters.DeadLetters;
import io.vigil.events.GroundTruth;
import io.vigil.events.Reason;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Producer;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueSeverity;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one FHIR R4 JSON body (an HTTP request or a record of the source topic) and answers it the FHIR way: 201
 * for a resource whose ground truth Kafka has acknowledged (acks=all), 200 with a transaction-response or
 * batch-response Bundle for a Bundle, 422 with an OperationOutcome naming what is missing for a resource that
 * cannot be mapped (which also goes whole to the dead-letter topic with the {@link DeadLetters} headers) or that
 * is not ground truth yet (preliminary: not dead-lettered), 400 for a body that is no FHIR R4 JSON resource, 503
 * when Kafka does not take the records in time, so the sender keeps the resource and sends it again.
 *
 * <p>A transaction Bundle is all or nothing: when any entry is refused, no ground truth is produced and the
 * OperationOutcome lists every refused entry. A batch Bundle is mapped entry by entry.
 *
 * <p>Ground truth is keyed by {@code prediction_id}. Logs carry only a hash of the resource's (or Bundle's)
 * logical id and counts, never content: reports hold patient data.
 */
public final class FhirReceiver {
    private static final Logger LOG = LoggerFactory.getLogger(FhirReceiver.class);

    /** {@code vigil.error.stage} of this adapter's dead letters. */
    public static final String STAGE = "ingest-fhir";
    /** {@code vigil.source.topic} of dead letters received over HTTP. */
    public static final String HTTP = "http";

    private final FhirMapper mapper;
    private final AcknowledgedSends sends;
    private final Counts counts = new Counts();

    public FhirReceiver(
            FhirMapper mapper, Producer<byte[], byte[]> producer, String groundTruthTopic, String deadLetterTopic) {
        this.mapper = mapper;
        this.sends = new AcknowledgedSends(producer, groundTruthTopic, deadLetterTopic, STAGE);
    }

    /** What a body may hold. */
    public enum Accepts {
        /** {@code POST /fhir/DiagnosticReport}. */
        DIAGNOSTIC_REPORT("DiagnosticReport"),
        /** {@code POST /fhir/Observation}. */
        OBSERVATION("Observation"),
        /** {@code POST /fhir}: a transaction or batch Bundle. */
        TRANSACTION_OR_BATCH("Bundle"),
        /** A record of the source topic: a DiagnosticReport, an Observation or a Bundle of any type. */
        ANY(null);

        private final String type;

        Accepts(String type) {
            this.type = type;
        }
    }

    /** Where a body came from, for the dead-letter headers: {@link #HTTP}, or a topic, partition and offset. */
    public record Origin(String source, int partition, long offset) {
        public static final Origin HTTP_REQUEST = new Origin(HTTP, -1, -1L);
    }

    /** The answer: an HTTP status and the resource of the response body (OperationOutcome or Bundle). */
    public record Response(int status, Resource body) {
        /** The body as FHIR JSON. */
        public String json() {
            return FhirJson.write(body);
        }
    }

    /** Bodies by outcome since start. */
    public static final class Counts {
        /** Answered 200/201 with ground truth produced. */
        public final AtomicLong accepted = new AtomicLong();
        /** Ground-truth events produced (a Bundle can carry several reports). */
        public final AtomicLong events = new AtomicLong();
        /** Answered 422 without a dead letter: not ground truth yet (preliminary and similar statuses). */
        public final AtomicLong ignored = new AtomicLong();
        /** Answered 4xx and dead-lettered (a batch counts once per refused entry). */
        public final AtomicLong deadLettered = new AtomicLong();
        /** Answered 503 because Kafka did not acknowledge. */
        public final AtomicLong failed = new AtomicLong();
    }

    public Counts counts() {
        return counts;
    }

    /** Maps {@code body}, produces what it gives and answers; never throws on content. */
    public Response receive(byte[] body, Accepts accepts, Origin origin) {
        Optional<Resource> parsed = FhirJson.parse(body);
        if (parsed.isEmpty()) {
            return refuse(
                    400,
                    body,
                    new Reason(Reason.INVALID, "", "not a parseable FHIR R4 JSON resource"),
                    "",
                    origin,
                    "(unparsed)");
        }
        Resource resource = parsed.get();
        String id = hash(resource);
        if (accepts.type != null && !accepts.type.equals(resource.fhirType())) {
            return refuse(
                    400,
                    body,
                    new Reason(Reason.UNKNOWN_ENUM, "resourceType", "this endpoint takes " + accepts.type + " only"),
                    "",
                    origin,
                    id);
        }
        if (resource instanceof Bundle bundle) {
            Bundle.BundleType type = bundle.getType();
            if (type == Bundle.BundleType.TRANSACTION) {
                return transaction(bundle, body, origin, id);
            }
            if (type == Bundle.BundleType.BATCH || (accepts == Accepts.ANY && type != null)) {
                return batch(bundle, origin, id);
            }
            return refuse(
                    400,
                    body,
                    new Reason(Reason.UNKNOWN_ENUM, "Bundle.type", "must be transaction or batch"),
                    "",
                    origin,
                    id);
        }
        return single(mapper.map(resource), body, origin, id);
    }

    private Response single(FhirMapper.Outcome outcome, byte[] body, Origin origin, String id) {
        return switch (outcome) {
            case FhirMapper.Mapped m -> {
                if (!produce(List.of(m.event()), id)) {
                    yield unavailable("ground truth not stored: Kafka did not acknowledge it; send the resource again");
                }
                counts.accepted.incrementAndGet();
                counts.events.incrementAndGet();
                LOG.info("FHIR {}: 201, 1 ground-truth event acknowledged by Kafka", id);
                yield new Response(
                        201,
                        FhirOutcomes.of(
                                IssueSeverity.INFORMATION, IssueType.INFORMATIONAL, "1 ground-truth event stored"));
            }
            case FhirMapper.Ignored i -> {
                counts.ignored.incrementAndGet();
                LOG.info("FHIR {}: 422, nothing produced ({})", id, i.why());
                OperationOutcome oo = new OperationOutcome();
                FhirOutcomes.addIgnored(oo, "", i.why());
                yield new Response(422, oo);
            }
            case FhirMapper.Unmappable u -> refuse(422, body, u.reason(), "", origin, id);
            case FhirMapper.Supporting s ->
                throw new IllegalStateException("a resource on its own is never supporting");
        };
    }

    private Response transaction(Bundle bundle, byte[] body, Origin origin, String id) {
        List<FhirMapper.Entry> entries = mapper.map(bundle);
        OperationOutcome refused = new OperationOutcome();
        List<Reason> reasons = new ArrayList<>();
        List<GroundTruth> events = new ArrayList<>();
        for (FhirMapper.Entry e : entries) {
            String at = "Bundle.entry[" + e.index() + "]";
            switch (e.outcome()) {
                case FhirMapper.Mapped m -> events.add(m.event());
                case FhirMapper.Unmappable u -> {
                    FhirOutcomes.add(refused, at, u.reason());
                    reasons.add(prefixed(at, u.reason()));
                }
                case FhirMapper.Ignored i -> FhirOutcomes.addIgnored(refused, at, i.why());
                case FhirMapper.Supporting s -> {}
            }
        }
        if (refused.hasIssue()) {
            if (reasons.isEmpty()) {
                counts.ignored.incrementAndGet();
                LOG.info("FHIR {}: 422, transaction holds results that are not ground truth yet, nothing produced", id);
                return new Response(422, refused);
            }
            Reason reason = new Reason(
                    reasons.getFirst().code(),
                    reasons.getFirst().path(),
                    String.join("; ", reasons.stream().map(Reason::toString).toList()));
            if (!deadLetter(body, reason, origin, id)) {
                return unavailable(reason + "; not dead-lettered either (Kafka did not acknowledge): send it again");
            }
            LOG.warn("FHIR {}: 422, transaction refused ({} entries), dead-lettered", id, reasons.size());
            return new Response(422, refused);
        }
        if (events.isEmpty()) {
            return refuse(
                    422,
                    body,
                    new Reason(Reason.MISSING_FIELD, "Bundle.entry", "no DiagnosticReport or Observation to map"),
                    "",
                    origin,
                    id);
        }
        if (!produce(events, id)) {
            return unavailable("ground truth not stored: Kafka did not acknowledge it; send the Bundle again");
        }
        counts.accepted.incrementAndGet();
        counts.events.addAndGet(events.size());
        LOG.info("FHIR {}: 200, transaction of {} ground-truth event(s) acknowledged by Kafka", id, events.size());
        return new Response(200, responseBundle(Bundle.BundleType.TRANSACTIONRESPONSE, entries));
    }

    private Response batch(Bundle bundle, Origin origin, String id) {
        List<FhirMapper.Entry> entries = mapper.map(bundle);
        List<GroundTruth> events = new ArrayList<>();
        for (FhirMapper.Entry e : entries) {
            if (e.outcome() instanceof FhirMapper.Mapped m) {
                events.add(m.event());
            }
        }
        if (!events.isEmpty() && !produce(events, id)) {
            return unavailable("ground truth not stored: Kafka did not acknowledge it; send the Bundle again");
        }
        int refused = 0;
        for (FhirMapper.Entry e : entries) {
            if (e.outcome() instanceof FhirMapper.Unmappable u) {
                Resource r = bundle.getEntry().get(e.index()).getResource();
                byte[] value = r == null ? new byte[0] : FhirJson.write(r).getBytes(StandardCharsets.UTF_8);
                if (!deadLetter(value, prefixed("Bundle.entry[" + e.index() + "]", u.reason()), origin, id)) {
                    return unavailable("an entry could not be dead-lettered (Kafka did not acknowledge): send the "
                            + "Bundle again");
                }
                refused++;
            } else if (e.outcome() instanceof FhirMapper.Ignored) {
                counts.ignored.incrementAndGet();
            }
        }
        counts.events.addAndGet(events.size());
        if (!events.isEmpty()) {
            counts.accepted.incrementAndGet();
        }
        LOG.info(
                "FHIR {}: 200, batch of {} ground-truth event(s) acknowledged by Kafka, {} entries dead-lettered",
                id,
                events.size(),
                refused);
        return new Response(200, responseBundle(Bundle.BundleType.BATCHRESPONSE, entries));
    }

    private static Bundle responseBundle(Bundle.BundleType type, List<FhirMapper.Entry> entries) {
        Bundle response = new Bundle().setType(type);
        for (FhirMapper.Entry e : entries) {
            Bundle.BundleEntryResponseComponent r = response.addEntry().getResponse();
            switch (e.outcome()) {
                case FhirMapper.Mapped m -> r.setStatus("201 Created");
                case FhirMapper.Supporting s -> {
                    r.setStatus("200 OK");
                    r.setOutcome(FhirOutcomes.of(IssueSeverity.INFORMATION, IssueType.INFORMATIONAL, s.why()));
                }
                case FhirMapper.Unmappable u -> {
                    OperationOutcome oo = new OperationOutcome();
                    FhirOutcomes.add(oo, "", u.reason());
                    r.setStatus("422 Unprocessable Entity").setOutcome(oo);
                }
                case FhirMapper.Ignored i -> {
                    OperationOutcome oo = new OperationOutcome();
                    FhirOutcomes.addIgnored(oo, "", i.why());
                    r.setStatus("422 Unprocessable Entity").setOutcome(oo);
                }
            }
        }
        return response;
    }

    private Response refuse(int status, byte[] body, Reason reason, String at, Origin origin, String id) {
        if (!deadLetter(body, reason, origin, id)) {
            return unavailable(reason + "; not dead-lettered either (Kafka did not acknowledge): send it again");
        }
        LOG.warn("FHIR {}: {}, dead-lettered ({})", id, status, reason.code());
        OperationOutcome oo = new OperationOutcome();
        FhirOutcomes.add(oo, at, reason);
        return new Response(status, oo);
    }

    private Response unavailable(String diagnostics) {
        return new Response(503, FhirOutcomes.of(IssueSeverity.ERROR, IssueType.TRANSIENT, diagnostics));
    }

    /** Sends {@code events} and waits for Kafka's acknowledgement of each; false (counted, logged) when one fails. */
    private boolean produce(List<GroundTruth> events, String id) {
        try {
            sends.groundTruth(events);
            return true;
        } catch (AcknowledgedSends.NotAcknowledged e) {
            counts.failed.incrementAndGet();
            LOG.warn("FHIR {}: 503, Kafka did not acknowledge the ground truth ({})", id, e.causeName());
            return false;
        }
    }

    private boolean deadLetter(byte[] value, Reason reason, Origin origin, String id) {
        try {
            sends.deadLetter(value, reason, origin.source(), origin.partition(), origin.offset());
            counts.deadLettered.incrementAndGet();
            return true;
        } catch (AcknowledgedSends.NotAcknowledged e) {
            counts.failed.incrementAndGet();
            LOG.warn("FHIR {}: dead letter not acknowledged by Kafka ({})", id, e.causeName());
            return false;
        }
    }

    private static Reason prefixed(String at, Reason reason) {
        return new Reason(reason.code(), reason.path().isEmpty() ? at : at + "." + reason.path(), reason.message());
    }

    /** First 12 hex digits of SHA-256 of the logical id: enough to find a resource in the sender's log, no content. */
    static String hash(Resource resource) {
        String logicalId = resource.getIdElement().getIdPart();
        if (logicalId == null || logicalId.isEmpty()) {
            return resource.fhirType() + " (no id)";
        }
        return resource.fhirType() + " id:" + AcknowledgedSends.shortHash(logicalId);
    }
}
