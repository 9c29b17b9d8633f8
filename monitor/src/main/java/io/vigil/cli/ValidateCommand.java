package io.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.config.ReadErrors;
import io.vigil.events.EventValidator;
import io.vigil.events.EventValidator.EventType;
import io.vigil.events.Reason;
import io.vigil.events.Validation;
import io.vigil.serde.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vigil validate FILE [--type prediction|ground_truth|alert|incident|metric_snapshot|reference_profile|auto]}: checks a JSON document, a JSON
 * array of records, or JSON lines against the event contracts with the same {@link EventValidator}
 * the monitor uses at ingest.
 *
 * <p>Prints {@code OK: N records valid}, or one {@code line N: <code> <path>: <message>} per bad
 * record (for a single document or array, {@code record N}). Messages never contain field values.
 * Exit code 0 when every record is valid, 1 when any is not or the file holds no record, 2 when the file
 * cannot be read.
 */
@Command(
        name = "validate",
        mixinStandardHelpOptions = true,
        versionProvider = Vigil.Version.class,
        description = "Check JSON lines (or one JSON document) against the event schemas.")
public final class ValidateCommand implements Callable<Integer> {

    /** Which contract to check against. */
    public enum Type {
        prediction(EventType.PREDICTION),
        ground_truth(EventType.GROUND_TRUTH),
        alert(EventType.ALERT),
        incident(EventType.INCIDENT),
        metric_snapshot(EventType.METRIC_SNAPSHOT),
        reference_profile(EventType.REFERENCE_PROFILE),
        auto(null);

        final EventType contract;

        Type(EventType contract) {
            this.contract = contract;
        }
    }

    @Parameters(index = "0", paramLabel = "FILE", description = "JSON lines, a JSON object or a JSON array of objects.")
    Path file;

    @Option(
            names = "--type",
            defaultValue = "auto",
            description = "Contract: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; auto uses "
                    + "prediction_id + score -> prediction, prediction_id + label -> ground_truth).")
    Type type;

    @Spec
    CommandSpec spec;

    private final Clock clock;
    private final EventValidator validator;

    /** Uses the system clock and the default limits. */
    public ValidateCommand() {
        this(Clock.systemUTC(), new EventValidator());
    }

    /** For tests: a fixed clock (future-timestamp check) and a configured validator. */
    public ValidateCommand(Clock clock, EventValidator validator) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.validator = Objects.requireNonNull(validator, "validator");
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException | SecurityException e) {
            err.println("cannot read " + file + ": " + ReadErrors.describe(e));
            err.flush();
            return 2;
        }
        List<Entry> entries = split(content);
        if (entries.isEmpty()) {
            // An empty export is a broken export, not a valid one.
            err.println("FAILED: no records in " + file);
            err.flush();
            return 1;
        }
        int bad = 0;
        for (Entry entry : entries) {
            Reason reason = check(entry.raw());
            if (reason != null) {
                bad++;
                out.println(entry.label() + ": " + reason);
            }
        }
        if (bad == 0) {
            out.println("OK: " + entries.size() + " records valid");
        } else {
            out.println("FAILED: " + bad + " of " + entries.size() + " records invalid");
        }
        out.flush();
        return bad == 0 ? 0 : 1;
    }

    private Reason check(byte[] raw) {
        EventType contract;
        if (type == Type.auto) {
            Validation<JsonNode> parsed = validator.parse(raw);
            if (parsed instanceof Validation.Rejected<JsonNode> rejected) {
                return rejected.reason();
            }
            contract = detect(((Validation.Accepted<JsonNode>) parsed).value());
            if (contract == null) {
                return new Reason(Reason.INVALID, "", "cannot tell the record type; use --type");
            }
        } else {
            contract = type.contract;
        }
        Validation<?> result = validator.validate(contract, raw, clock.instant());
        return result instanceof Validation.Rejected<?> rejected ? rejected.reason() : null;
    }

    /** prediction_id + score is a prediction, prediction_id + label a ground truth, else unknown. */
    static EventType detect(JsonNode node) {
        if (!node.isObject() || !node.has("prediction_id")) {
            return null;
        }
        if (node.has("score")) {
            return EventType.PREDICTION;
        }
        return node.has("label") ? EventType.GROUND_TRUTH : null;
    }

    private record Entry(String label, byte[] raw) {}

    /**
     * One document (object, or array of objects) when the whole file parses as one JSON value,
     * otherwise one record per non-blank line.
     */
    private static List<Entry> split(byte[] content) {
        List<Entry> entries = new ArrayList<>();
        try {
            JsonNode whole = Json.mapper().readTree(content);
            if (whole != null && !whole.isMissingNode()) {
                if (whole.isArray()) {
                    for (int i = 0; i < whole.size(); i++) {
                        entries.add(new Entry("record " + (i + 1), Json.mapper().writeValueAsBytes(whole.get(i))));
                    }
                } else {
                    entries.add(new Entry("line 1", content));
                }
                return entries;
            }
        } catch (IOException notOneDocument) {
            // JSON lines, or malformed: fall through to line-by-line checking.
        }
        String[] lines = new String(content, StandardCharsets.UTF_8).split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].isBlank()) {
                entries.add(new Entry("line " + (i + 1), lines[i].getBytes(StandardCharsets.UTF_8)));
            }
        }
        return entries;
    }
}
