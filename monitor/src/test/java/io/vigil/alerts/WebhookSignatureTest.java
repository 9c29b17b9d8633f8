package io.vigil.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class WebhookSignatureTest {
    // The Standard Webhooks reference test vector (standard-webhooks libraries' test suites).
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final long TIMESTAMP = 1614265330L;
    private static final byte[] BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);

    @Test
    void shouldMatchThePublishedStandardWebhooksExample() {
        assertThat(WebhookSignature.fromSecret(SECRET).sign(ID, TIMESTAMP, BODY))
                .isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void shouldMatchAnIndependentHmacWhenSigningAnyBody() throws Exception {
        byte[] key = new byte[32];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (i * 7 + 3);
        }
        String secret = "whsec_" + Base64.getEncoder().encodeToString(key);
        byte[] body = "{\"id\":\"abc-1-firing\",\"status\":\"firing\"}".getBytes(StandardCharsets.UTF_8);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        String expected = "v1,"
                + Base64.getEncoder()
                        .encodeToString(
                                mac.doFinal(("abc-1-firing.1700000000." + new String(body, StandardCharsets.UTF_8))
                                        .getBytes(StandardCharsets.UTF_8)));
        assertThat(WebhookSignature.fromSecret(secret).sign("abc-1-firing", 1_700_000_000L, body))
                .isEqualTo(expected);
    }

    @Test
    void shouldSignOncePerKeyWhenSecretsRotate() {
        WebhookSignature a = WebhookSignature.fromSecret(SECRET);
        WebhookSignature b =
                WebhookSignature.fromSecret("whsec_" + Base64.getEncoder().encodeToString(new byte[24]));
        String header = WebhookSignature.header(List.of(a, b), ID, TIMESTAMP, BODY);
        assertThat(header.split(" ")).containsExactly(a.sign(ID, TIMESTAMP, BODY), b.sign(ID, TIMESTAMP, BODY));
    }

    @Test
    void shouldRejectMalformedSecretsWithoutEchoingThem() {
        assertThatThrownBy(() -> WebhookSignature.fromSecret("hunter2-hunter2-hunter2-hunter2"))
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> WebhookSignature.fromSecret("whsec_c2hvcnQ="))
                .hasMessageContaining("at least 24 bytes")
                .hasMessageNotContaining("c2hvcnQ");
        assertThat(WebhookSignature.fromSecret(SECRET).toString()).doesNotContain("MfKQ");
    }
}
