package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.ConsoleAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * The console log formats of the shipped logback.xml, as a log platform reads them: text with an
 * ISO-8601 UTC timestamp, or one JSON object per line with the record coordinates from the MDC.
 */
class LogFormatTest {

    @Test
    void shouldChooseTheFormatFromTheOptionElseTheEnvironmentAndRefuseAnyOther() {
        assertThat(Vigil.logFormat(new String[] {"run"}, Map.of())).isEqualTo("text");
        assertThat(Vigil.logFormat(new String[] {"run"}, Map.of("VIGIL_LOG_FORMAT", "json")))
                .isEqualTo("json");
        assertThat(Vigil.logFormat(new String[] {"run", "--log-format", "json"}, Map.of()))
                .isEqualTo("json");
        assertThat(Vigil.logFormat(new String[] {"--log-format=text", "run"}, Map.of("VIGIL_LOG_FORMAT", "json")))
                .isEqualTo("text");
        assertThatThrownBy(() -> Vigil.logFormat(new String[] {"run", "--log-format", "xml"}, Map.of()))
                .hasMessage("--log-format must be text or json");
        assertThatThrownBy(() -> Vigil.logFormat(new String[] {"run"}, Map.of("VIGIL_LOG_FORMAT", "JSON")))
                .hasMessage("VIGIL_LOG_FORMAT must be text or json");
        // The option is accepted by the command line too (inherited by every subcommand).
        assertThat(Vigil.commandLine()
                        .parseArgs("validate", "--log-format", "json", "x.json")
                        .subcommand())
                .isNotNull();
    }

    @Test
    void shouldWriteIsoUtcTimestampsInText() throws Exception {
        String out = logWith("text", log -> log.warn("stream thread replaced"));
        assertThat(out)
                .matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z WARN  \\[main\\] io\\.vigil\\.test"
                        + " - stream thread replaced\\R");
    }

    @Test
    void shouldWriteOneJsonObjectPerLineWithTheRecordCoordinates() throws Exception {
        String out = logWith("json", log -> {
            MDC.put("kafka.topic", "predictions");
            MDC.put("kafka.partition", "3");
            MDC.put("kafka.offset", "42");
            try {
                log.error("Processor threw", new IllegalStateException("boom"));
            } finally {
                MDC.clear();
            }
        });
        List<String> lines = out.lines().toList();
        assertThat(lines).hasSize(1);
        JsonNode line = new ObjectMapper().readTree(lines.get(0));
        assertThat(line.path("@timestamp").asText()).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");
        assertThat(line.path("level").asText()).isEqualTo("ERROR");
        assertThat(line.path("logger_name").asText()).isEqualTo("io.vigil.test");
        assertThat(line.path("thread_name").asText()).isEqualTo("main");
        assertThat(line.path("message").asText()).isEqualTo("Processor threw");
        assertThat(line.path("stack_trace").asText()).contains("IllegalStateException: boom");
        assertThat(line.path("kafka.topic").asText()).isEqualTo("predictions");
        assertThat(line.path("kafka.partition").asText()).isEqualTo("3");
        assertThat(line.path("kafka.offset").asText()).isEqualTo("42");
    }

    /**
     * Configures a fresh logger context from the shipped logback.xml and returns what its console appender's
     * encoder makes of the events logged (the bytes it would write to stdout).
     */
    private static String logWith(String format, java.util.function.Consumer<Logger> body) throws Exception {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(MDC.getMDCAdapter()); // the one MDC.put writes to
        try {
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(LogFormatTest.class.getResource("/" + Vigil.LOG_CONFIGURATION.get(format)));
            // The shipped files configure cleanly: no warning or error (logback would print its status).
            assertThat(new ch.qos.logback.core.status.StatusUtil(context).getHighestLevel(0))
                    .isLessThan(ch.qos.logback.core.status.Status.WARN);
            ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            @SuppressWarnings("unchecked")
            ConsoleAppender<ILoggingEvent> console = (ConsoleAppender<ILoggingEvent>) root.getAppender(format);
            assertThat(console)
                    .as("the root logger writes through the " + format + " appender")
                    .isNotNull();
            root.detachAppender(console); // its encoder is what is checked; the test's own stdout stays quiet
            // Encoded as they are appended, as the console appender does (the MDC is read then).
            StringBuilder out = new StringBuilder();
            AppenderBase<ILoggingEvent> encoded = new AppenderBase<>() {
                @Override
                protected void append(ILoggingEvent e) {
                    out.append(new String(console.getEncoder().encode(e), StandardCharsets.UTF_8));
                }
            };
            encoded.setContext(context);
            encoded.start();
            root.addAppender(encoded);
            String previous = Thread.currentThread().getName();
            Thread.currentThread().setName("main");
            try {
                body.accept(context.getLogger("io.vigil.test"));
            } finally {
                Thread.currentThread().setName(previous);
            }
            return out.toString();
        } finally {
            context.stop();
        }
    }
}
