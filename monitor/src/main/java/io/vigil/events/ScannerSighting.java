package io.vigil.events;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Objects;

/**
 * That one scanner ran one software version for one model version, between two event times, as seen by one
 * partition of the prediction stream: the record of the internal {@code <application.id>-scanner-inventory}
 * topic, keyed by {@link #key()}. Values are the capped slice values Vigil publishes (the scanner
 * site-qualified, {@code S02/CT-2}); no patient, study or accession key and no raw serial number enter it.
 * Incidents use it to know which scanners lie under which site, scanner model and software version, and
 * which software changes a scanner went through.
 */
public record ScannerSighting(
        String model,
        String version,
        String site,
        String scanner,
        @JsonProperty("scanner_model") String scannerModel,
        String software,
        int partition,
        @JsonProperty("first_seen") Instant firstSeen,
        @JsonProperty("last_seen") Instant lastSeen) {

    public ScannerSighting {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(site, "site");
        Objects.requireNonNull(scanner, "scanner");
        Objects.requireNonNull(scannerModel, "scanner_model");
        Objects.requireNonNull(software, "software");
        Objects.requireNonNull(firstSeen, "first_seen");
        Objects.requireNonNull(lastSeen, "last_seen");
    }

    /** {@code model|version|scanner|software|partition}: one record per scanner, software and input partition. */
    public String key() {
        return String.join("|", model, version, scanner, software, Integer.toString(partition));
    }
}
