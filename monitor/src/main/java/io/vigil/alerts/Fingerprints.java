package io.vigil.alerts;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Alert identities. A fingerprint is the first 128 bits (32 hex digits) of SHA-256 over rule, metric,
 * model, version, slice dimension and slice value (NUL-separated), so one condition on one slice is
 * one alert whatever the window or the observed values, and no value of the observation (let alone
 * patient data) enters it. An alert id names one transition: {@code <fingerprint>-<started_at epoch
 * ms>-<firing|resolved>}; it is the Standard Webhooks {@code webhook-id}, the same on every retry.
 */
public final class Fingerprints {
    private Fingerprints() {}

    public static String fingerprint(
            String rule, String metric, String model, String version, String sliceDimension, String sliceValue) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {rule, metric, model, version, sliceDimension, sliceValue}) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    public static String id(String fingerprint, Instant startedAt, io.vigil.events.Alert.Status status) {
        return fingerprint + "-" + startedAt.toEpochMilli() + "-"
                + status.name().toLowerCase(Locale.ROOT);
    }
}
