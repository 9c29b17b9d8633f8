package io.vigil.stages.shared;

import io.vigil.aggregates.OutcomeChange;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Pseudonyms of {@code subject_key}: HMAC-SHA256 under {@code stability.subject-key-secret}, so the raw key never
 * reaches a topic, a store or a log. The stability stage keys its repeat pairs by the hex pseudonym; the outcome
 * join gives each change a 64-bit subject id from the same HMAC, by which the subject pairing pairs a patient's
 * labelled studies.
 */
public final class SubjectKeys {
    private SubjectKeys() {}

    /** A fresh HMAC-SHA256 instance keyed with {@code secret} (not thread-safe: one per processor). */
    public static Mac hmac(String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** HMAC-SHA256 of a subject key, lower-case hex. */
    public static String pseudonym(Mac mac, String subjectKey) {
        return HexFormat.of().formatHex(mac.doFinal(subjectKey.getBytes(StandardCharsets.UTF_8)));
    }

    /** The first 64 bits of HMAC-SHA256 of a subject key, never {@link OutcomeChange#NO_SUBJECT}. */
    public static long subjectId(Mac mac, String subjectKey) {
        byte[] h = mac.doFinal(subjectKey.getBytes(StandardCharsets.UTF_8));
        long id = 0;
        for (int i = 0; i < 8; i++) {
            id = (id << 8) | (h[i] & 0xFF);
        }
        return id == OutcomeChange.NO_SUBJECT ? 1L : id;
    }
}
