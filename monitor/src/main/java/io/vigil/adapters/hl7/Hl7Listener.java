package io.vigil.adapters.hl7;

import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.app.Connection;
import ca.uhn.hl7v2.app.ConnectionListener;
import ca.uhn.hl7v2.app.HL7Service;
import ca.uhn.hl7v2.parser.CanonicalModelClassFactory;
import ca.uhn.hl7v2.util.StandardSocketFactory;
import ca.uhn.hl7v2.util.idgenerator.NanoTimeGenerator;
import ca.uhn.hl7v2.validation.impl.ValidationContextFactory;
import io.vigil.adapters.AcknowledgedSends;
import io.vigil.config.VigilConfig;
import io.vigil.topics.Topics;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MLLP listener of {@code vigil ingest hl7}: HAPI's server on {@value VigilConfig#HL7_BIND}:{@value
 * VigilConfig#HL7_PORT}, every message parsed into HL7 v2.5.1 structures whatever its version (no HAPI
 * validation: {@link OruMapper} names what is wrong), answered by a {@link GroundTruthReceiver} that produces
 * through an idempotent producer ({@code acks=all}).
 */
public final class Hl7Listener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Hl7Listener.class);

    private final HapiContext context;
    private final HL7Service server;
    private final Producer<byte[], byte[]> producer;
    private final GroundTruthReceiver receiver;
    private final BindingSocketFactory sockets;

    private Hl7Listener(
            HapiContext context,
            HL7Service server,
            Producer<byte[], byte[]> producer,
            GroundTruthReceiver receiver,
            BindingSocketFactory sockets) {
        this.context = context;
        this.server = server;
        this.producer = producer;
        this.receiver = receiver;
        this.sockets = sockets;
    }

    /**
     * Starts listening; the mapping comes from {@value VigilConfig#HL7_MAPPING_FILE} or the built-in default.
     *
     * @throws IllegalArgumentException when the mapping file is unreadable or invalid
     * @throws IllegalStateException    when the listener cannot bind its port
     */
    public static Hl7Listener start(VigilConfig config) {
        String file = config.getString(VigilConfig.HL7_MAPPING_FILE);
        Hl7Mapping mapping = file.isEmpty() ? Hl7Mapping.defaults() : Hl7Mapping.load(Path.of(file));
        return start(
                config,
                mapping,
                new KafkaProducer<>(producerSettings(config), new ByteArraySerializer(), new ByteArraySerializer()));
    }

    /** Starts listening with {@code mapping}, producing through {@code producer} (closed by {@link #close()}). */
    public static Hl7Listener start(VigilConfig config, Hl7Mapping mapping, Producer<byte[], byte[]> producer) {
        Topics topics = Topics.from(config);
        HapiContext context = newContext();
        GroundTruthReceiver receiver = new GroundTruthReceiver(
                new OruMapper(mapping),
                producer,
                topics.groundTruth().name(),
                topics.deadLetters().name(),
                context.getPipeParser());
        BindingSocketFactory sockets = new BindingSocketFactory(config.getString(VigilConfig.HL7_BIND));
        context.setSocketFactory(sockets);
        HL7Service server = context.newServer(config.getInt(VigilConfig.HL7_PORT), false);
        server.registerApplication(receiver);
        server.setExceptionHandler(receiver);
        server.registerConnectionListener(new ConnectionLog());
        Hl7Listener listener = new Hl7Listener(context, server, producer, receiver, sockets);
        Throwable why = null;
        try {
            server.startAndWait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            why = e;
        }
        if (why == null) {
            why = server.getServiceExitedWithException();
        }
        if (why != null || !server.isRunning() || sockets.bound == null || !sockets.bound.isBound()) {
            listener.close();
            throw new IllegalStateException(
                    "cannot listen on " + config.getString(VigilConfig.HL7_BIND) + ":"
                            + config.getInt(VigilConfig.HL7_PORT) + (why == null ? "" : " (" + why.getMessage() + ")"),
                    why);
        }
        LOG.info(
                "Listening for HL7 v2 over MLLP on {}; ground truth to {}, dead letters to {}",
                sockets.bound.getLocalSocketAddress(),
                topics.groundTruth().name(),
                topics.deadLetters().name());
        return listener;
    }

    /** A HAPI context that parses every version into v2.5.1 structures, without HAPI's validation. */
    static HapiContext newContext() {
        HapiContext context = new DefaultHapiContext(new CanonicalModelClassFactory("2.5.1"));
        context.setValidationContext(ValidationContextFactory.noValidation());
        // HAPI's default numbers acknowledgements through a file in the working directory.
        context.getParserConfiguration().setIdGenerator(new NanoTimeGenerator());
        return context;
    }

    /** The producer's settings: {@link AcknowledgedSends#producerSettings} as client {@code vigil-hl7}. */
    static Map<String, Object> producerSettings(VigilConfig config) {
        return AcknowledgedSends.producerSettings(config, "vigil-hl7");
    }

    /** The port listened on (the one picked when {@value VigilConfig#HL7_PORT} is 0). */
    public int port() {
        return sockets.bound.getLocalPort();
    }

    public GroundTruthReceiver.Counts counts() {
        return receiver.counts();
    }

    @Override
    public void close() {
        server.stopAndWait();
        try {
            context.close();
        } catch (IOException e) {
            LOG.warn("Closing the HL7 context failed: {}", e.toString());
        }
        producer.close(Duration.ofSeconds(10));
    }

    /** HAPI binds its server socket to the wildcard address; this binds it to the configured one instead. */
    private static final class BindingSocketFactory extends StandardSocketFactory {
        private final String host;
        private volatile ServerSocket bound;

        BindingSocketFactory(String host) {
            this.host = Objects.requireNonNull(host, "host");
        }

        @Override
        public ServerSocket createServerSocket() throws IOException {
            InetAddress address = InetAddress.getByName(host);
            ServerSocket socket = new ServerSocket() {
                @Override
                public void bind(SocketAddress endpoint, int backlog) throws IOException {
                    int port = endpoint instanceof InetSocketAddress a ? a.getPort() : 0;
                    super.bind(new InetSocketAddress(address, port), backlog);
                }
            };
            bound = socket;
            return socket;
        }
    }

    /** Connections are logged by peer address and port only. */
    private static final class ConnectionLog implements ConnectionListener {
        @Override
        public void connectionReceived(Connection c) {
            LOG.info("MLLP connection from {}:{}", c.getRemoteAddress().getHostAddress(), c.getRemotePort());
        }

        @Override
        public void connectionDiscarded(Connection c) {
            LOG.info("MLLP connection from {}:{} closed", c.getRemoteAddress().getHostAddress(), c.getRemotePort());
        }
    }
}
