package io.vigil.sim;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.Map;
import java.util.TreeMap;

/**
 * A change that happens part-way through a scenario, at {@code day} days after the start (fractions
 * allowed: 60.5 is noon UTC of day 60). In JSON the {@code type} field selects the kind.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = ScheduledEvent.SoftwareUpdate.class, name = "software_update"),
    @JsonSubTypes.Type(value = ScheduledEvent.NewScanner.class, name = "new_scanner"),
    @JsonSubTypes.Type(value = ScheduledEvent.PrevalenceChange.class, name = "prevalence_change")
})
public sealed interface ScheduledEvent {

    /** Days after the scenario start, {@code >= 0}. */
    double day();

    /**
     * A scanner gets new software: from {@code day} on its predictions carry {@code software_version},
     * its latent evidence is shifted by {@code latent_shift} latent SDs relative to the scanner's
     * original behaviour (absolute, not cumulative over updates), and, when given, its score model's
     * {@code calibration} and {@code separation} and the listed feature distributions are replaced.
     */
    record SoftwareUpdate(
            double day,
            String scanner,
            String softwareVersion,
            double latentShift,
            ScoreModel.Calibration calibration,
            Double separation,
            Map<String, FeatureDistribution> features)
            implements ScheduledEvent {
        public SoftwareUpdate {
            checkDay(day);
            Checks.text(scanner, "events.software_update.scanner");
            Checks.text(softwareVersion, "events.software_update.software_version");
            Checks.finite(latentShift, "events.software_update.latent_shift");
            features = features == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(features));
        }
    }

    /** A scanner that starts producing studies at {@code day} at site {@code site}. */
    record NewScanner(double day, String site, Scenario.ScannerSpec scanner) implements ScheduledEvent {
        public NewScanner {
            checkDay(day);
            Checks.text(site, "events.new_scanner.site");
            if (scanner == null) {
                throw new IllegalArgumentException("events.new_scanner.scanner is required");
            }
        }
    }

    /**
     * The true prevalence changes to {@code prevalence} from {@code day} on, at {@code site} or, when
     * {@code site} is absent, at every site. Scores do not follow (the model keeps its prior).
     */
    record PrevalenceChange(double day, String site, double prevalence) implements ScheduledEvent {
        public PrevalenceChange {
            checkDay(day);
            Checks.unit(prevalence, "events.prevalence_change.prevalence");
        }
    }

    private static void checkDay(double day) {
        if (!(day >= 0) || Double.isInfinite(day)) {
            throw new IllegalArgumentException("events.day must be a finite number >= 0, was " + day);
        }
    }
}
