package io.vigil.cli;

import io.vigil.adapters.dicom.DicomSrIngest;
import io.vigil.adapters.dicom.DicomSrMapping;
import io.vigil.adapters.dicom.DicomSrPredictions;
import io.vigil.config.VigilConfig;
import io.vigil.deadletters.DeadLetterLimit;
import io.vigil.topics.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vigil ingest dicom-sr}: AI results as DICOM SR in the DICOM JSON model (files, or directories of
 * {@code *.json}, e.g. DICOMweb metadata responses) to the predictions topic. Exit 0 when every result was
 * sent, 3 when some were dead-lettered, 1 when the broker refused records (send the files again: the
 * prediction ids are the same, so nothing counts twice), 2 on bad settings.
 */
@Command(
        name = "dicom-sr",
        mixinStandardHelpOptions = true,
        versionProvider = Vigil.Version.class,
        description = "Send AI results in DICOM SR (DICOM JSON) to the predictions topic; see docs/adapters.md.")
final class IngestDicomSrCommand implements Callable<Integer> {
    /** The environment variable holding the secret of the device, patient and study aliases (VIGIL_* are settings). */
    static final String ALIAS_SECRET_ENV = "DICOM_SR_ALIAS_SECRET";

    @Mixin
    SettingsOptions settings = new SettingsOptions();

    @Option(
            names = "--mapping",
            description = "JSON mapping file (score concept, algorithm identification, thresholds, sites).")
    Path mappingFile;

    @Parameters(arity = "1..*", paramLabel = "PATH", description = "DICOM JSON files or directories of *.json.")
    List<Path> paths;

    @Override
    public Integer call() throws Exception {
        VigilConfig config;
        DicomSrMapping mapping;
        List<Path> files;
        try {
            config = settings.load();
            mapping = mappingFile == null ? DicomSrMapping.defaults() : DicomSrMapping.read(mappingFile);
            files = files(paths);
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println("Invalid settings: " + e.getMessage());
            return 2;
        } catch (NoSuchFileException e) {
            System.err.println("No such file: " + e.getFile());
            return 2;
        } catch (IOException e) {
            System.err.println("Cannot read: " + e.getMessage());
            return 2;
        }
        String secret = System.getenv(ALIAS_SECRET_ENV);
        DicomSrPredictions mapper;
        try {
            mapper = new DicomSrPredictions(mapping, secret);
        } catch (IllegalArgumentException e) {
            System.err.println("Set " + ALIAS_SECRET_ENV + ": " + e.getMessage());
            return 2;
        }
        Topics topics = Topics.from(config);
        Map<String, Object> producerSettings = new HashMap<>(config.kafkaClientSettings());
        producerSettings.put(ProducerConfig.ACKS_CONFIG, "all");
        producerSettings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        int sent = 0;
        int deadLettered = 0;
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(producerSettings, new ByteArraySerializer(), new ByteArraySerializer())) {
            DicomSrIngest ingest = new DicomSrIngest(
                    mapper,
                    producer,
                    topics.predictions().name(),
                    topics.deadLetters().name(),
                    DeadLetterLimit.kafkaDefaults().maxRecordBytes());
            for (Path f : files) {
                DicomSrIngest.Outcome o =
                        ingest.ingest(Files.readAllBytes(f), f.getFileName().toString());
                sent += o.sent();
                if (!o.rejected().isEmpty()) {
                    deadLettered++;
                    System.err.println(f.getFileName() + ": dead-lettered: " + String.join("; ", o.rejected()));
                }
            }
        } catch (ExecutionException e) {
            System.err.println("The broker refused a record (" + e.getCause().getMessage()
                    + "); send the files again: nothing counts twice.");
            return 1;
        }
        System.out.println(
                sent + " predictions sent from " + files.size() + " files, " + deadLettered + " files dead-lettered");
        return deadLettered == 0 ? 0 : 3;
    }

    private static List<Path> files(List<Path> paths) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    s.filter(f -> f.getFileName().toString().endsWith(".json"))
                            .sorted()
                            .forEach(out::add);
                }
            } else if (Files.isRegularFile(p)) {
                out.add(p);
            } else {
                throw new NoSuchFileException(p.toString());
            }
        }
        return out;
    }
}
