package io.vigil.cli;

import io.vigil.adapters.hl7.Hl7Listener;
import io.vigil.config.VigilConfig;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code vigil ingest}: adapters that turn hospital messages into Vigil's input events. */
@Command(
        name = "ingest",
        mixinStandardHelpOptions = true,
        versionProvider = Vigil.Version.class,
        description = "Adapters from hospital systems to Vigil's input topics.",
        subcommands = {IngestCommand.Hl7.class, IngestDicomSrCommand.class, IngestFhirCommand.class})
final class IngestCommand implements Runnable {

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    /** {@code vigil ingest hl7}: ORU^R01 results over MLLP to the ground-truth topic (docs/adapters.md). */
    @Command(
            name = "hl7",
            mixinStandardHelpOptions = true,
            versionProvider = Vigil.Version.class,
            description = "Listen for HL7 v2 ORU^R01 results over MLLP and produce them as ground truth "
                    + "(settings from --config, VIGIL_* variables and --set; hl7.port, hl7.bind, hl7.mapping-file).")
    static final class Hl7 implements Callable<Integer> {
        private static final Logger LOG = LoggerFactory.getLogger(Hl7.class);

        @Mixin
        SettingsOptions settings = new SettingsOptions();

        @Override
        public Integer call() throws Exception {
            VigilConfig config;
            try {
                config = settings.load();
            } catch (ConfigException e) {
                System.err.println("Invalid configuration: " + e.getMessage());
                return 2;
            }
            Hl7Listener listener;
            try {
                listener = Hl7Listener.start(config);
            } catch (IllegalArgumentException e) {
                System.err.println("Invalid HL7 mapping: " + e.getMessage());
                return 2;
            } catch (IllegalStateException e) {
                LOG.error("Cannot start: {}", e.getMessage());
                System.err.println("Cannot start: " + e.getMessage());
                return 1;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> {
                                listener.close();
                                stopped.countDown();
                            },
                            "vigil-hl7-shutdown"));
            stopped.await();
            return 0;
        }
    }
}
