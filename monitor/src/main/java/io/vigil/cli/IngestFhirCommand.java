package io.vigil.cli;

import io.vigil.adapters.fhir.FhirListener;
import io.vigil.adapters.fhir.FhirMapping;
import io.vigil.adapters.fhir.FhirTopicSource;
import io.vigil.config.VigilConfig;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code vigil ingest fhir}: FHIR R4 DiagnosticReport/Observation resources over HTTP (and, when {@code
 * fhir.source-topic} is set, from a Kafka topic) to the ground-truth topic (docs/adapters.md). Runs until
 * stopped; exit 2 on bad settings or mapping, 1 when the endpoint cannot start.
 */
@Command(
        name = "fhir",
        mixinStandardHelpOptions = true,
        versionProvider = Vigil.Version.class,
        description = "Take FHIR R4 DiagnosticReport/Observation resources over HTTP (and from fhir.source-topic "
                + "when set) and produce them as ground truth (settings from --config, VIGIL_* variables and --set; "
                + "fhir.port, fhir.bind, fhir.mapping-file, fhir.source-topic).")
final class IngestFhirCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(IngestFhirCommand.class);

    @Mixin
    SettingsOptions settings = new SettingsOptions();

    @Override
    public Integer call() throws Exception {
        VigilConfig config;
        FhirMapping mapping;
        try {
            config = settings.load();
        } catch (ConfigException e) {
            System.err.println("Invalid configuration: " + e.getMessage());
            return 2;
        }
        try {
            mapping = FhirListener.mapping(config);
        } catch (IllegalArgumentException e) {
            System.err.println("Invalid FHIR mapping: " + e.getMessage());
            return 2;
        }
        FhirListener listener;
        try {
            listener = FhirListener.start(config);
        } catch (IllegalStateException e) {
            LOG.error("Cannot start: {}", e.getMessage());
            System.err.println("Cannot start: " + e.getMessage());
            return 1;
        }
        FhirTopicSource source = config.getString(VigilConfig.FHIR_SOURCE_TOPIC).isEmpty()
                ? null
                : FhirTopicSource.start(config, mapping);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            if (source != null) {
                                source.close();
                            }
                            listener.close();
                            stopped.countDown();
                        },
                        "vigil-fhir-shutdown"));
        stopped.await();
        return 0;
    }
}
