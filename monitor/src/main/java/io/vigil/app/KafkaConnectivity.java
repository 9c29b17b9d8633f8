package io.vigil.app;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The startup check that Kafka is reachable with the configured security settings: one
 * {@code describeCluster} through an Admin client built from the same settings as every other client.
 * Kafka clients retry a failing connection forever, so without it a wrong password or certificate
 * would leave the monitor running, unready, with the cause buried in repeated client warnings; with
 * it, startup stops within seconds with one message naming the cause and the bootstrap servers.
 * Messages never contain credentials.
 */
public final class KafkaConnectivity {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaConnectivity.class);

    /** How long startup waits for any broker to answer before giving up. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private KafkaConnectivity() {}

    /**
     * Connects and authenticates as the monitor's clients will.
     *
     * @param clientSettings Kafka client settings (bootstrap servers, security), as for every client
     * @throws IllegalStateException naming the cause (authentication failed, TLS handshake failed, no
     *                               broker answered, client settings Kafka rejects, e.g. an unreadable
     *                               keystore) and the bootstrap servers
     */
    public static void check(Map<String, Object> clientSettings) {
        check(clientSettings, TIMEOUT);
    }

    /** {@link #check(Map)} with another timeout. */
    static void check(Map<String, Object> clientSettings, Duration timeout) {
        Map<String, Object> settings = new HashMap<>(clientSettings);
        settings.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, "vigil-startup-check");
        long startNanos = System.nanoTime();
        try (Admin admin = Admin.create(settings)) {
            String clusterId = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
                    .clusterId()
                    .get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
            LOG.info(
                    "Kafka cluster {} reachable at {} over {} in {} ms",
                    clusterId,
                    bootstrap(settings),
                    protocol(settings),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
        } catch (ExecutionException e) {
            throw new IllegalStateException(message(e.getCause(), settings, timeout), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(message(new TimeoutException(e.getMessage()), settings, timeout), e);
        } catch (KafkaException e) {
            // Admin.create fails like this on unusable settings, e.g. an unreadable keystore.
            throw new IllegalStateException(
                    "Invalid Kafka client settings for bootstrap servers " + bootstrap(settings)
                            + " (security.protocol=" + protocol(settings) + "): " + causes(e) + ".",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while connecting to Kafka at " + bootstrap(settings), e);
        }
    }

    /** The startup error for a failed check: what failed, where, with which protocol, and what to check. */
    static String message(Throwable cause, Map<String, Object> settings) {
        return message(cause, settings, TIMEOUT);
    }

    private static String message(Throwable cause, Map<String, Object> settings, Duration timeout) {
        String where = " at bootstrap servers " + bootstrap(settings) + " (security.protocol=" + protocol(settings);
        if (cause instanceof SaslAuthenticationException) {
            return "Kafka authentication failed" + where + ", sasl.mechanism=" + mechanism(settings) + "): "
                    + cause.getMessage() + ". Check the user name and password in kafka.sasl.jaas.config.";
        }
        if (cause instanceof SslAuthenticationException) {
            return "TLS handshake with Kafka failed" + where + "): " + causes(cause)
                    + ". Check that kafka.ssl.truststore.* holds the CA of the broker's certificate and, where the"
                    + " broker requires client certificates, that kafka.ssl.keystore.* holds one its CA signed.";
        }
        if (cause instanceof AuthenticationException) {
            return "Kafka authentication failed" + where + "): " + causes(cause) + ".";
        }
        if (cause instanceof AuthorizationException) {
            return "Kafka refused the monitor" + where + "): " + cause.getMessage() + ". Check its ACLs.";
        }
        if (cause instanceof TimeoutException) {
            return "No Kafka broker answered" + where + ") within " + timeout.toSeconds() + " s. Check "
                    + "bootstrap.servers, that kafka.security.protocol matches the broker's listener, and the network.";
        }
        return "Cannot connect to Kafka" + where + "): " + causes(cause) + ".";
    }

    /** The messages of an exception and its causes, without repeats: the root cause says most. */
    private static String causes(Throwable t) {
        StringBuilder out = new StringBuilder();
        for (Throwable c = t; c != null && c != c.getCause(); c = c.getCause()) {
            String m = c.getMessage();
            if (m != null && !m.isBlank() && out.indexOf(m) < 0) {
                out.append(out.length() == 0 ? "" : ": ").append(m);
            }
            if (out.length() > 600) {
                break;
            }
        }
        return out.length() == 0 ? t.getClass().getSimpleName() : out.toString();
    }

    private static String bootstrap(Map<String, Object> settings) {
        return String.valueOf(settings.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG));
    }

    private static String protocol(Map<String, Object> settings) {
        return String.valueOf(settings.getOrDefault(
                CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, CommonClientConfigs.DEFAULT_SECURITY_PROTOCOL));
    }

    private static String mechanism(Map<String, Object> settings) {
        return String.valueOf(settings.getOrDefault(SaslConfigs.SASL_MECHANISM, SaslConfigs.DEFAULT_SASL_MECHANISM));
    }
}
