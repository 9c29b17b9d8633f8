package io.vigil.adapters.hl7;

import ca.uhn.hl7v2.AcknowledgmentCode;
import ca.uhn.hl7v2.ErrorCode;
import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.model.v251.message.ACK;
import ca.uhn.hl7v2.model.v251.segment.ERR;
import ca.uhn.hl7v2.parser.Parser;
import ca.uhn.hl7v2.protocol.ReceivingApplication;
import ca.uhn.hl7v2.protocol.ReceivingApplicationExceptionHandler;
import ca.uhn.hl7v2.protocol.impl.ApplicationRouterImpl;
import ca.uhn.hl7v2.util.Terser;
import io.vigil.adapters.AcknowledgedSends;
import io.vigil.deadletters.DeadLetters;
import io.vigil.events.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers each HL7 message received over MLLP: AA only once Kafka has acknowledged (acks=all) every
 * ground-truth event mapped from it; AE or AR with an ERR segment giving the reason for a message that
 * cannot be mapped or parsed, which goes whole to the dead-letter topic with the {@link DeadLetters} headers;
 * AE when Kafka does not take the records in time, so the sender keeps the message and sends it again.
 *
 * <p>Ground truth is keyed by {@code prediction_id}. Logs carry only a hash of the message control id (MSH-10)
 * and counts, never message content: HL7 results hold patient data.
 */
public final class GroundTruthReceiver implements ReceivingApplication<Message>, ReceivingApplicationExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(GroundTruthReceiver.class);

    /** {@code vigil.error.stage} of this adapter's dead letters. */
    public static final String STAGE = "hl7-mllp";
    /** {@code vigil.source.topic} of this adapter's dead letters: they come from MLLP, not from a topic. */
    public static final String SOURCE = "mllp";

    private final OruMapper mapper;
    private final AcknowledgedSends sends;
    private final Parser parser;
    private final Counts counts = new Counts();

    /**
     * @param parser the listener's parser, whose settings build the answer to a message without a readable MSH
     */
    public GroundTruthReceiver(
            OruMapper mapper,
            Producer<byte[], byte[]> producer,
            String groundTruthTopic,
            String deadLetterTopic,
            Parser parser) {
        this.mapper = mapper;
        this.sends = new AcknowledgedSends(producer, groundTruthTopic, deadLetterTopic, STAGE);
        this.parser = parser;
    }

    /** Messages by outcome since start. */
    public static final class Counts {
        /** Answered AA with ground truth produced. */
        public final AtomicLong accepted = new AtomicLong();
        /** Ground-truth events produced (a message can carry several orders). */
        public final AtomicLong events = new AtomicLong();
        /** Answered AA without ground truth (preliminary and similar statuses). */
        public final AtomicLong ignored = new AtomicLong();
        /** Answered AE/AR and dead-lettered. */
        public final AtomicLong deadLettered = new AtomicLong();
        /** Answered AE because Kafka did not acknowledge. */
        public final AtomicLong failed = new AtomicLong();
    }

    public Counts counts() {
        return counts;
    }

    @Override
    public boolean canProcess(Message message) {
        return true;
    }

    @Override
    public Message processMessage(Message message, Map<String, Object> metadata) throws HL7Exception {
        String id = controlIdHash(message);
        OruMapper.Outcome outcome = mapper.map(message);
        try {
            return switch (outcome) {
                case OruMapper.Mapped m -> produce(message, m, id);
                case OruMapper.Ignored i -> {
                    counts.ignored.incrementAndGet();
                    LOG.info("HL7 message {}: AA, nothing produced ({})", id, i.why());
                    yield message.generateACK();
                }
                case OruMapper.Unmappable u -> {
                    String raw = String.valueOf(metadata.get(ApplicationRouterImpl.RAW_MESSAGE_KEY));
                    yield reject(message, u, raw, id);
                }
            };
        } catch (IOException e) {
            throw new HL7Exception("cannot build the acknowledgement", ErrorCode.APPLICATION_INTERNAL_ERROR);
        }
    }

    private Message produce(Message message, OruMapper.Mapped mapped, String id) throws HL7Exception, IOException {
        try {
            sends.groundTruth(mapped.events());
        } catch (AcknowledgedSends.NotAcknowledged e) {
            counts.failed.incrementAndGet();
            LOG.warn("HL7 message {}: AE, Kafka did not acknowledge the ground truth ({})", id, e.causeName());
            return message.generateACK(
                    AcknowledgmentCode.AE,
                    new HL7Exception(
                            "ground truth not stored: Kafka did not acknowledge it; send the message again",
                            ErrorCode.APPLICATION_INTERNAL_ERROR));
        }
        counts.accepted.incrementAndGet();
        counts.events.addAndGet(mapped.events().size());
        LOG.info(
                "HL7 message {}: AA, {} ground-truth event(s) acknowledged by Kafka",
                id,
                mapped.events().size());
        return message.generateACK();
    }

    private Message reject(Message message, OruMapper.Unmappable u, String raw, String id)
            throws HL7Exception, IOException {
        if (!deadLetter(raw, u.reason(), id)) {
            return message.generateACK(
                    AcknowledgmentCode.AE,
                    new HL7Exception(
                            u.text() + "; not dead-lettered either (Kafka did not acknowledge): send it again",
                            ErrorCode.APPLICATION_INTERNAL_ERROR));
        }
        LOG.warn(
                "HL7 message {}: {}, dead-lettered ({})",
                id,
                u.ack(),
                u.reason().code());
        return message.generateACK(u.ack(), new HL7Exception(u.text(), u.error()));
    }

    /**
     * Called by HAPI for a message it could not parse (and for an exception out of {@link #processMessage},
     * which does not happen for message content): the raw message is dead-lettered and HAPI's negative
     * acknowledgement goes back unchanged.
     */
    @Override
    public String processException(
            String incomingMessage, Map<String, Object> metadata, String outgoingNegativeAcknowledgement, Exception e) {
        String id = hash(String.valueOf(metadata.get("/MSH-10")));
        Reason reason = new Reason(Reason.INVALID, "", "not a parseable HL7 v2 message");
        boolean kept = deadLetter(incomingMessage, reason, id);
        LOG.warn(
                "HL7 message {}: unparseable, negative acknowledgement sent, {}",
                id,
                kept ? "dead-lettered" : "not dead-lettered (Kafka did not acknowledge)");
        // Without a readable MSH HAPI has no acknowledgement to offer: answer AR without MSA-2.
        return outgoingNegativeAcknowledgement != null ? outgoingNegativeAcknowledgement : rejectUnreadable(reason);
    }

    private String rejectUnreadable(Reason reason) {
        try {
            ACK ack = new ACK();
            ack.setParser(parser);
            ack.initQuickstart("ACK", null, "P");
            ack.getMSA().getAcknowledgmentCode().setValue(AcknowledgmentCode.AR.name());
            ERR err = ack.getERR();
            err.getHL7ErrorCode()
                    .getIdentifier()
                    .setValue(Integer.toString(ErrorCode.SEGMENT_SEQUENCE_ERROR.getCode()));
            err.getHL7ErrorCode().getText().setValue(ErrorCode.SEGMENT_SEQUENCE_ERROR.getMessage());
            err.getHL7ErrorCode().getNameOfCodingSystem().setValue("HL70357");
            err.getSeverity().setValue("E");
            err.getUserMessage().setValue(reason.toString());
            return ack.encode();
        } catch (HL7Exception | IOException e) {
            throw new IllegalStateException("cannot build a negative acknowledgement", e);
        }
    }

    private boolean deadLetter(String raw, Reason reason, String id) {
        byte[] value = raw == null ? new byte[0] : raw.getBytes(StandardCharsets.UTF_8);
        try {
            sends.deadLetter(value, reason, SOURCE, -1, -1L);
            counts.deadLettered.incrementAndGet();
            return true;
        } catch (AcknowledgedSends.NotAcknowledged e) {
            counts.failed.incrementAndGet();
            LOG.warn("HL7 message {}: dead letter not acknowledged by Kafka ({})", id, e.causeName());
            return false;
        }
    }

    private static String controlIdHash(Message message) {
        try {
            return hash(new Terser(message).get("/MSH-10"));
        } catch (HL7Exception e) {
            return hash(null);
        }
    }

    /** First 12 hex digits of SHA-256 of the control id: enough to find a message in the sender's log, no content. */
    static String hash(String controlId) {
        if (controlId == null || controlId.isEmpty() || controlId.equals("null")) {
            return "(no control id)";
        }
        return "msh10:" + AcknowledgedSends.shortHash(controlId);
    }
}
