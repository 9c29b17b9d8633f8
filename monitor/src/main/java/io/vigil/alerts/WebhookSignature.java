package io.vigil.alerts;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A Standard Webhooks signing key (https://www.standardwebhooks.com): the secret is {@code whsec_}
 * followed by base64 of at least 24 random bytes; a signature is {@code v1,} + base64 of
 * HMAC-SHA256 over {@code "{webhook-id}.{webhook-timestamp}.{body}"}, the timestamp in Unix seconds.
 * Several keys sign one request with space-separated signatures, so a receiver can rotate secrets.
 * {@link #toString()} never shows the key.
 */
public final class WebhookSignature {
    public static final String SECRET_PREFIX = "whsec_";
    private static final int MIN_KEY_BYTES = 24;

    private final SecretKeySpec key;

    private WebhookSignature(byte[] key) {
        this.key = new SecretKeySpec(key, "HmacSHA256");
    }

    /** Parses {@code whsec_<base64>}; the message of a failure never contains the secret. */
    public static WebhookSignature fromSecret(String secret) {
        if (!secret.startsWith(SECRET_PREFIX)) {
            throw new IllegalArgumentException("a webhook secret must start with " + SECRET_PREFIX);
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a webhook secret must be " + SECRET_PREFIX + " + base64");
        }
        if (bytes.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException(
                    "a webhook secret must hold at least " + MIN_KEY_BYTES + " bytes, got " + bytes.length);
        }
        return new WebhookSignature(bytes);
    }

    /** {@code v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">}. */
    public String sign(String id, long timestampSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is required of every JVM", e);
        }
    }

    /** The {@code webhook-signature} header value: one signature per key, space-separated. */
    public static String header(List<WebhookSignature> keys, String id, long timestampSeconds, byte[] body) {
        return keys.stream().map(k -> k.sign(id, timestampSeconds, body)).collect(Collectors.joining(" "));
    }

    @Override
    public String toString() {
        return "WebhookSignature[hidden]";
    }
}
