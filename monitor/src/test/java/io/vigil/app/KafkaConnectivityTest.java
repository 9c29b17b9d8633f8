package io.vigil.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/** The startup check's messages name the cause and the bootstrap servers, and never a credential. */
class KafkaConnectivityTest {
    private static final Map<String, Object> SCRAM = Map.of(
            "bootstrap.servers",
            "k1:9093,k2:9093",
            "security.protocol",
            "SASL_SSL",
            "sasl.mechanism",
            "SCRAM-SHA-512",
            "sasl.jaas.config",
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
                    + "username=\"vigil\" password=\"s3cret-never-shown\";");

    @Test
    void shouldNameAuthenticationAndTheServersWhenSaslFails() {
        String m = KafkaConnectivity.message(
                new SaslAuthenticationException("Authentication failed during "
                        + "authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"),
                SCRAM);
        assertThat(m)
                .startsWith("Kafka authentication failed at bootstrap servers k1:9093,k2:9093 "
                        + "(security.protocol=SASL_SSL, sasl.mechanism=SCRAM-SHA-512)")
                .contains("invalid credentials")
                .doesNotContain("s3cret-never-shown");
    }

    @Test
    void shouldNameTheTlsHandshakeAndItsCauseWhenSslFails() {
        String m = KafkaConnectivity.message(
                new SslAuthenticationException(
                        "SSL handshake failed", new SSLHandshakeException("PKIX path building failed")),
                Map.of(
                        "bootstrap.servers",
                        "k1:9094",
                        "security.protocol",
                        "SSL",
                        "ssl.keystore.password",
                        "ks-never-shown"));
        assertThat(m)
                .startsWith("TLS handshake with Kafka failed at bootstrap servers k1:9094 (security.protocol=SSL)")
                .contains("SSL handshake failed: PKIX path building failed")
                .doesNotContain("ks-never-shown");
    }

    @Test
    void shouldSayNoBrokerAnsweredWhenTheCheckTimesOut() {
        assertThat(KafkaConnectivity.message(
                        new TimeoutException("Timed out waiting for a node assignment"),
                        Map.of("bootstrap.servers", "k1:9092")))
                .startsWith("No Kafka broker answered at bootstrap servers k1:9092 (security.protocol=PLAINTEXT) "
                        + "within 30 s");
    }

    @Test
    void shouldFailWithTheCauseWhenAKeystoreCannotBeRead() {
        // A real Admin client refuses to start on an unreadable keystore: no broker needed.
        assertThatThrownBy(() -> KafkaConnectivity.check(Map.of(
                        "bootstrap.servers",
                        "127.0.0.1:9",
                        "security.protocol",
                        "SSL",
                        "ssl.keystore.location",
                        "/nonexistent/client.p12",
                        "ssl.keystore.password",
                        "ks-never-shown",
                        "ssl.keystore.type",
                        "PKCS12")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith(
                        "Invalid Kafka client settings for bootstrap servers 127.0.0.1:9 (security.protocol=SSL)")
                .hasMessageContaining("/nonexistent/client.p12")
                .hasMessageNotContaining("ks-never-shown");
    }

    @Test
    void shouldFailWithinTheTimeoutWhenNothingListens() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String bootstrap = "127.0.0.1:" + port;
        assertThatThrownBy(() -> KafkaConnectivity.check(
                        Map.of("bootstrap.servers", bootstrap, "reconnect.backoff.max.ms", 200), Duration.ofSeconds(2)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("No Kafka broker answered at bootstrap servers " + bootstrap
                        + " (security.protocol=PLAINTEXT) within 2 s");
    }
}
