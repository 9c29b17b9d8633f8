package io.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.aggregates.DriftAggregate;
import io.vigil.config.NearestName;
import io.vigil.config.ReadErrors;
import io.vigil.events.Demographics;
import io.vigil.events.EventValidator;
import io.vigil.events.EventValidator.EventType;
import io.vigil.events.ModelRef;
import io.vigil.events.Prediction;
import io.vigil.events.ReferenceProfile;
import io.vigil.events.Scanner;
import io.vigil.events.Validation;
import io.vigil.serde.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vigil reference build}: builds a {@link ReferenceProfile} (source {@code validation_file}) from
 * a labelled validation file and writes it to a file or publishes it to the references topic.
 *
 * <p>Input: JSON lines of predictions (schemas/prediction.schema.json, each with an optional
 * {@code label} 0/1), or CSV (file name ending {@code .csv}) with a header naming {@code score} and
 * optionally {@code label}, {@code site}, {@code scanner}, {@code manufacturer}, {@code model},
 * {@code software_version}, {@code uncertainty}, {@code abstained}, {@code sex}, {@code age_band},
 * {@code attr.<name>} (a categorical attribute); any other column is a numeric feature (an empty cell
 * is missing). CSV cells are plain: no quoting. Predictions of another model version are skipped and
 * reported. The known acquisition values are recorded only when the input names the scanners (JSON
 * lines always; CSV with all of site, scanner, manufacturer, model, software_version).
 *
 * <p>Exit codes: 0 written or published; 1 bad content (a line that does not validate, no usable
 * prediction, publication failed); 2 usage error or unreadable input.
 */
@Command(
        name = "reference",
        mixinStandardHelpOptions = true,
        versionProvider = Vigil.Version.class,
        description = "Reference profiles: the baseline each model version is compared against.",
        subcommands = {ReferenceCommand.Build.class})
public final class ReferenceCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Equal-width score bins of the labelled summary. */
    static final int LABEL_BINS = 20;
    /** Reported bad lines before the rest are only counted. */
    static final int MAX_REPORTED = 20;

    /** {@code vigil reference build}. */
    @Command(name = "build", description = "Build a reference profile from a (labelled) validation file.")
    public static final class Build implements Callable<Integer> {
        // Not mixinStandardHelpOptions: its --version would clash with the model version option below.
        @Option(
                names = {"-h", "--help"},
                usageHelp = true,
                description = "Show this help message and exit.")
        boolean help;

        @Option(
                names = "--input",
                required = true,
                paramLabel = "FILE",
                description = "JSON lines of predictions (optional label) or CSV with a header (score,label,...).")
        Path input;

        @Option(names = "--model", required = true, description = "Model id.")
        String model;

        @Option(names = "--version", required = true, description = "Model version.")
        String version;

        @Option(
                names = "--threshold",
                required = true,
                description = "Operating point in [0,1]: score >= threshold is predicted positive.")
        double threshold;

        @Option(
                names = "--target",
                paramLabel = "METRIC=VALUE",
                description = "Claimed performance at the threshold, e.g. sensitivity=0.92 (repeatable); "
                        + "prevalence=0.12 claims the deployment prevalence that PPV and NPV are also reported at "
                        + "and that prevalence_shift compares with (default: the labelled share of the input).")
        Map<String, Double> targets = new LinkedHashMap<>();

        @ArgGroup(exclusive = true, multiplicity = "1")
        Destination destination;

        static final class Destination {
            @Option(names = "--out", paramLabel = "FILE", description = "Write the profile JSON here.")
            Path out;

            @ArgGroup(exclusive = false)
            Publish publish;
        }

        static final class Publish {
            @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers.")
            String bootstrapServers;

            @Option(names = "--topic", required = true, description = "References topic (compacted).")
            String topic;
        }

        @Spec
        CommandSpec spec;

        private final Clock clock;

        public Build() {
            this(Clock.systemUTC());
        }

        /** For tests: a fixed clock ({@code created_at}, future-timestamp check). */
        public Build(Clock clock) {
            this.clock = clock;
        }

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (!(threshold >= 0 && threshold <= 1)) {
                err.println("--threshold must be in [0,1]");
                err.flush();
                return 2;
            }
            for (Map.Entry<String, Double> t : targets.entrySet()) {
                if (!t.getKey().matches("[A-Za-z][A-Za-z0-9_.-]{0,63}") || !(t.getValue() >= 0 && t.getValue() <= 1)) {
                    err.println("--target must be METRIC=VALUE with a name such as sensitivity and a value in [0,1]");
                    err.flush();
                    return 2;
                }
            }
            List<String> lines;
            try {
                lines = Files.readAllLines(input, StandardCharsets.UTF_8);
            } catch (IOException | SecurityException | java.io.UncheckedIOException e) {
                err.println("cannot read " + input + ": " + ReadErrors.describe(e));
                err.flush();
                return 2;
            }
            Accumulator acc = new Accumulator(new ModelRef(model, version), threshold);
            boolean csv =
                    input.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv");
            List<String> problems = csv ? acc.readCsv(lines) : acc.readJsonLines(lines, clock.instant());
            if (!problems.isEmpty()) {
                problems.stream().limit(MAX_REPORTED).forEach(err::println);
                err.println("FAILED: " + problems.size() + " problem(s) in " + input + "; no profile written");
                err.flush();
                return 1;
            }
            if (acc.aggregate.count() == 0) {
                err.println("FAILED: no prediction of model " + model + " version " + version + " in " + input
                        + (acc.otherVersions > 0
                                ? " (" + acc.otherVersions + " of other model versions skipped)"
                                : ""));
                err.flush();
                return 1;
            }
            ReferenceProfile profile = acc.profile(clock.instant(), targets);
            byte[] json;
            try {
                json = Json.writer().withDefaultPrettyPrinter().writeValueAsBytes(profile);
            } catch (IOException e) {
                err.println("cannot serialise the profile: " + e.getClass().getSimpleName());
                err.flush();
                return 1;
            }
            String summary = profile.n() + " predictions (" + acc.labelled + " labelled"
                    + (acc.otherVersions > 0 ? ", " + acc.otherVersions + " of other model versions skipped" : "")
                    + ")";
            if (destination.out != null) {
                try {
                    Files.write(destination.out, json);
                } catch (IOException | SecurityException e) {
                    err.println("cannot write " + destination.out + ": "
                            + e.getClass().getSimpleName());
                    err.flush();
                    return 1;
                }
                out.println("OK: reference profile " + profile.key() + " from " + summary + " written to "
                        + destination.out);
            } else {
                try {
                    publish(destination.publish, profile.key(), json);
                } catch (Exception e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    err.println("cannot publish to " + destination.publish.topic + ": "
                            + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()));
                    err.flush();
                    return 1;
                }
                out.println("OK: reference profile " + profile.key() + " from " + summary + " published to "
                        + destination.publish.topic);
            }
            out.flush();
            return 0;
        }

        private static void publish(Publish p, String key, byte[] json) throws Exception {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, p.bootstrapServers);
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
            try (KafkaProducer<String, byte[]> producer =
                    new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(p.topic, key, json)).get(60, TimeUnit.SECONDS);
            }
        }
    }

    /** Reads rows into one {@link DriftAggregate} plus label counts per score bin. Package-private for tests. */
    static final class Accumulator {
        private static final Set<String> CSV_COLUMNS = Set.of(
                "score",
                "label",
                "site",
                "scanner",
                "manufacturer",
                "model",
                "software_version",
                "uncertainty",
                "abstained",
                "sex",
                "age_band");

        final ModelRef model;
        final double threshold;
        final DriftAggregate aggregate = DriftAggregate.empty();
        final long[] positives = new long[LABEL_BINS];
        final long[] negatives = new long[LABEL_BINS];
        long labelled;
        long otherVersions;
        private final EventValidator validator =
                new EventValidator(Integer.MAX_VALUE, EventValidator.DEFAULT_MAX_FUTURE_SKEW);

        Accumulator(ModelRef model, double threshold) {
            this.model = model;
            this.threshold = threshold;
        }

        void add(Prediction p, Integer label, boolean trackAcquisition) {
            if (!p.model().equals(model)) {
                otherVersions++;
                return;
            }
            aggregate.add(p, threshold, trackAcquisition);
            if (label != null) {
                int bin = Math.min(LABEL_BINS - 1, (int) (p.score() * LABEL_BINS));
                (label == 1 ? positives : negatives)[bin]++;
                labelled++;
            }
        }

        List<String> readJsonLines(List<String> lines, Instant now) {
            List<String> problems = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) {
                    continue;
                }
                String at = "line " + (i + 1) + ": ";
                Validation<JsonNode> parsed = validator.parse(lines.get(i).getBytes(StandardCharsets.UTF_8));
                if (parsed instanceof Validation.Rejected<JsonNode> r) {
                    problems.add(at + r.reason());
                    continue;
                }
                JsonNode node = ((Validation.Accepted<JsonNode>) parsed).value();
                Integer label = null;
                if (node.isObject() && node.has("label")) {
                    JsonNode l = ((ObjectNode) node).remove("label");
                    if (!l.isIntegralNumber() || (l.asInt() != 0 && l.asInt() != 1)) {
                        problems.add(at + "invalid /label: must be 0 or 1");
                        continue;
                    }
                    label = l.asInt();
                }
                byte[] raw;
                try {
                    raw = Json.mapper().writeValueAsBytes(node);
                } catch (IOException e) {
                    problems.add(at + "cannot re-encode the record");
                    continue;
                }
                Validation<?> v = validator.validate(EventType.PREDICTION, raw, now);
                if (v instanceof Validation.Rejected<?> r) {
                    problems.add(at + r.reason());
                    continue;
                }
                add((Prediction) ((Validation.Accepted<?>) v).value(), label, true);
            }
            return problems;
        }

        List<String> readCsv(List<String> lines) {
            List<String> problems = new ArrayList<>();
            if (lines.isEmpty()) {
                problems.add("line 1: missing header (score,label,...)");
                return problems;
            }
            String[] header = lines.get(0).strip().split(",", -1);
            Map<String, Integer> col = new HashMap<>();
            for (int i = 0; i < header.length; i++) {
                String name = header[i].strip();
                if (name.isEmpty() || col.put(name, i) != null) {
                    problems.add("line 1: empty or repeated column name at column " + (i + 1));
                }
                if (!CSV_COLUMNS.contains(name) && !name.matches("(attr\\.)?[A-Za-z][A-Za-z0-9_.-]{0,63}")) {
                    problems.add("line 1: column " + (i + 1) + " is not a valid feature name");
                }
            }
            if (!col.containsKey("score")) {
                problems.add("line 1: the header must name a score column");
            }
            for (String name : col.keySet()) {
                // Any other column is a feature, so a misspelt known column would silently become one.
                if (!CSV_COLUMNS.contains(name)) {
                    NearestName.of(name, new java.util.TreeSet<>(CSV_COLUMNS))
                            .ifPresent(
                                    known -> problems.add(
                                            "line 1: column '" + name + "' looks like a misspelt '" + known
                                                    + "'; rename it (a "
                                                    + "feature column must not be one or two letters away from a known column)"));
                }
            }
            if (!problems.isEmpty()) {
                return problems;
            }
            boolean acquisition =
                    col.keySet().containsAll(List.of("site", "scanner", "manufacturer", "model", "software_version"));
            for (int i = 1; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) {
                    continue;
                }
                String[] cells = lines.get(i).strip().split(",", -1);
                if (cells.length != header.length) {
                    problems.add("line " + (i + 1) + ": expected " + header.length + " cells, got " + cells.length);
                    continue;
                }
                try {
                    Row row = new Row(header, cells, col);
                    add(row.prediction(model, "row-" + i), row.label(), acquisition);
                } catch (IllegalArgumentException e) {
                    problems.add("line " + (i + 1) + ": " + e.getMessage());
                }
            }
            return problems;
        }

        ReferenceProfile profile(Instant createdAt, Map<String, Double> targets) {
            ReferenceProfile.Labelled l = null;
            if (labelled > 0) {
                List<ReferenceProfile.LabelBin> bins = new ArrayList<>();
                for (int b = 0; b < LABEL_BINS; b++) {
                    bins.add(new ReferenceProfile.LabelBin(
                            (double) b / LABEL_BINS, (double) (b + 1) / LABEL_BINS, positives[b], negatives[b]));
                }
                l = new ReferenceProfile.Labelled(bins, targets);
            } else if (!targets.isEmpty()) {
                l = new ReferenceProfile.Labelled(List.of(), targets);
            }
            return aggregate.toProfile(model, ReferenceProfile.Source.VALIDATION_FILE, createdAt, null, threshold, l);
        }
    }

    /** One CSV row; messages name the column and rule, never the cell's value. */
    private record Row(String[] header, String[] cells, Map<String, Integer> col) {
        String cell(String name) {
            Integer i = col.get(name);
            return i == null ? null : cells[i].strip();
        }

        double number(String name) {
            try {
                double v = Double.parseDouble(cell(name));
                if (!Double.isFinite(v)) {
                    throw new NumberFormatException();
                }
                return v;
            } catch (NumberFormatException | NullPointerException e) {
                throw new IllegalArgumentException("column " + name + " must be a finite number");
            }
        }

        Integer label() {
            String l = cell("label");
            if (l == null || l.isEmpty()) {
                return null;
            }
            return switch (l) {
                case "0" -> 0;
                case "1" -> 1;
                default -> throw new IllegalArgumentException("column label must be 0, 1 or empty");
            };
        }

        Prediction prediction(ModelRef model, String id) {
            double score = number("score");
            Double uncertainty =
                    cell("uncertainty") == null || cell("uncertainty").isEmpty() ? null : number("uncertainty");
            Boolean abstained = cell("abstained") == null || cell("abstained").isEmpty()
                    ? null
                    : switch (cell("abstained").toLowerCase(Locale.ROOT)) {
                        case "1", "true" -> true;
                        case "0", "false" -> false;
                        default -> throw new IllegalArgumentException("column abstained must be true/false/1/0");
                    };
            Map<String, Double> features = new HashMap<>();
            Map<String, String> attributes = new HashMap<>();
            for (int i = 0; i < header.length; i++) {
                String name = header[i].strip();
                if (ReferenceCommand.Accumulator.CSV_COLUMNS.contains(name) || cells[i].isBlank()) {
                    continue;
                }
                if (name.startsWith("attr.")) {
                    attributes.put(name.substring(5), cells[i].strip());
                } else {
                    features.put(name, number(name));
                }
            }
            String sex = cell("sex");
            String ageBand = cell("age_band");
            Demographics demographics = (sex == null || sex.isEmpty()) && (ageBand == null || ageBand.isEmpty())
                    ? null
                    : new Demographics(
                            sex == null || sex.isEmpty() ? null : sex,
                            ageBand == null || ageBand.isEmpty() ? null : ageBand);
            Scanner scanner = new Scanner(
                    orUnknown(cell("scanner")),
                    orUnknown(cell("manufacturer")),
                    orUnknown(cell("model")),
                    orUnknown(cell("software_version")),
                    null,
                    null);
            // Prediction's constructor checks score and uncertainty ranges with messages naming the field.
            return new Prediction(
                    id,
                    Instant.EPOCH,
                    model,
                    "binary",
                    score,
                    0.5,
                    null,
                    orUnknown(cell("site")),
                    scanner,
                    null,
                    null,
                    demographics,
                    uncertainty,
                    abstained,
                    features,
                    attributes);
        }

        private static String orUnknown(String v) {
            return v == null || v.isEmpty() ? "unknown" : v;
        }
    }
}
