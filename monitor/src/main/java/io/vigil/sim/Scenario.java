package io.vigil.sim;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A simulated hospital network: one deployed model, its sites and scanners, the patient mix, how
 * scores, features and labels are generated, and the changes scheduled during the run. Loaded from
 * JSON with snake_case keys (see {@code scenarios/default.json}); unknown keys are rejected.
 *
 * @param name          a short name, e.g. {@code default}
 * @param description   free text
 * @param model         the deployed model and its operating threshold
 * @param days          the scenario's intended length in days (the CLI default for {@code --days})
 * @param prevalence    the initial true prevalence at every site without its own
 * @param scoreModel    the score model of every scanner without its own
 * @param demographics  sex and age-band mix (weights, normalised)
 * @param features      feature distributions of every scanner; a scanner's own entries replace these by name
 * @param hourlyProfile 24 relative weights of study arrivals per UTC hour; default a daytime-heavy profile
 * @param sites         the sites at the start
 * @param repeats       repeat studies of the same subject
 * @param labels        ground-truth coverage, sources, delays and revisions
 * @param events        scheduled changes
 */
public record Scenario(
        String name,
        String description,
        ModelSpec model,
        int days,
        double prevalence,
        ScoreModel scoreModel,
        DemographicsMix demographics,
        Map<String, FeatureDistribution> features,
        List<Double> hourlyProfile,
        List<SiteSpec> sites,
        RepeatStudies repeats,
        LabelModel labels,
        List<ScheduledEvent> events) {

    /** The names accepted by {@link #builtIn(String)}. */
    public static final List<String> BUILT_IN = List.of("default", "steady");

    private static final List<Double> DEFAULT_HOURLY_PROFILE = List.of(
            0.2, 0.15, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.6, 1.8, 1.8, 1.7, 1.4, 1.6, 1.7, 1.6, 1.4, 1.1, 0.8, 0.6, 0.5,
            0.4, 0.3, 0.25);

    private static final ObjectMapper READER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    /** The deployed model: {@code id}, {@code version} and operating {@code threshold} in [0,1]. */
    public record ModelSpec(String id, String version, double threshold) {
        public ModelSpec {
            Checks.text(id, "model.id");
            Checks.text(version, "model.version");
            Checks.unit(threshold, "model.threshold");
        }
    }

    /**
     * A hospital site.
     *
     * @param id         the site alias, e.g. {@code S01}
     * @param prevalence the site's initial prevalence; {@code null} = the scenario's
     * @param scanners   its scanners at the start
     */
    public record SiteSpec(String id, Double prevalence, List<ScannerSpec> scanners) {
        public SiteSpec {
            Checks.text(id, "sites.id");
            if (prevalence != null) {
                Checks.unit(prevalence, "sites.prevalence");
            }
            scanners = scanners == null ? List.of() : List.copyOf(scanners);
        }
    }

    /**
     * A scanner. Arrivals are a Poisson process with {@code daily_volume × weekday_factor} studies per
     * weekday (Monday to Friday, UTC) and {@code daily_volume × weekend_factor} per weekend day, spread
     * over the day by the scenario's hourly profile.
     *
     * @param id              globally unique alias, e.g. {@code S02-CT2}
     * @param manufacturer    DICOM Manufacturer
     * @param model           DICOM Manufacturer's Model Name
     * @param softwareVersion DICOM Software Versions at the start
     * @param modality        e.g. {@code CT}
     * @param bodyPart        e.g. {@code CHEST}
     * @param dailyVolume     base studies per day, {@code >= 0}
     * @param weekdayFactor   multiplier on weekdays; default 1
     * @param weekendFactor   multiplier on Saturdays and Sundays; default 1
     * @param scoreModel      this scanner's score model; {@code null} = the scenario's
     * @param features        feature distributions replacing the scenario's by name
     */
    public record ScannerSpec(
            String id,
            String manufacturer,
            String model,
            String softwareVersion,
            String modality,
            String bodyPart,
            double dailyVolume,
            Double weekdayFactor,
            Double weekendFactor,
            ScoreModel scoreModel,
            Map<String, FeatureDistribution> features) {
        public ScannerSpec {
            Checks.text(id, "scanners.id");
            Checks.text(manufacturer, "scanners.manufacturer");
            Checks.text(model, "scanners.model");
            Checks.text(softwareVersion, "scanners.software_version");
            Checks.nonNegative(dailyVolume, "scanners.daily_volume");
            weekdayFactor = Checks.nonNegative(weekdayFactor == null ? 1.0 : weekdayFactor, "scanners.weekday_factor");
            weekendFactor = Checks.nonNegative(weekendFactor == null ? 1.0 : weekendFactor, "scanners.weekend_factor");
            features = features == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(features));
        }
    }

    /**
     * The patient mix: relative weights of each sex code (F, M, O, U) and each age band. Order is
     * kept as written; weights need not sum to 1.
     */
    public record DemographicsMix(Map<String, Double> sex, Map<String, Double> ageBand) {
        public DemographicsMix {
            Checks.weights(sex, "demographics.sex");
            Checks.weights(ageBand, "demographics.age_band");
            sex = Collections.unmodifiableMap(new LinkedHashMap<>(sex));
            ageBand = Collections.unmodifiableMap(new LinkedHashMap<>(ageBand));
        }
    }

    /**
     * Repeat studies: each first study is followed, with probability {@code fraction}, by one repeat
     * of the same subject on the same scanner 1 to {@code within_days} days later (uniform). The
     * repeat keeps the subject's true label and demographics; its latent residual has correlation
     * {@code score_correlation} with the first study's.
     */
    public record RepeatStudies(double fraction, int withinDays, double scoreCorrelation) {
        public RepeatStudies {
            Checks.unit(fraction, "repeats.fraction");
            if (withinDays < 1) {
                throw new IllegalArgumentException("repeats.within_days must be >= 1, was " + withinDays);
            }
            Checks.unit(scoreCorrelation, "repeats.score_correlation");
        }

        /** No repeat studies. */
        public static final RepeatStudies NONE = new RepeatStudies(0.0, 1, 0.0);
    }

    public Scenario {
        Checks.text(name, "name");
        if (model == null) {
            throw new IllegalArgumentException("model is required");
        }
        if (days < 1) {
            throw new IllegalArgumentException("days must be >= 1, was " + days);
        }
        Checks.unit(prevalence, "prevalence");
        if (scoreModel == null) {
            throw new IllegalArgumentException("score_model is required");
        }
        if (demographics == null) {
            throw new IllegalArgumentException("demographics is required");
        }
        if (labels == null) {
            throw new IllegalArgumentException("labels is required");
        }
        features = features == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(features));
        hourlyProfile = hourlyProfile == null ? DEFAULT_HOURLY_PROFILE : List.copyOf(hourlyProfile);
        if (hourlyProfile.size() != 24) {
            throw new IllegalArgumentException("hourly_profile must have 24 weights, had " + hourlyProfile.size());
        }
        double sum = 0;
        for (double w : hourlyProfile) {
            sum += Checks.nonNegative(w, "hourly_profile");
        }
        if (!(sum > 0)) {
            throw new IllegalArgumentException("hourly_profile weights must not all be zero");
        }
        sites = List.copyOf(Checks.nonEmpty(sites, "sites"));
        repeats = repeats == null ? RepeatStudies.NONE : repeats;
        events = events == null ? List.of() : List.copyOf(events);
        checkReferences(sites, events);
    }

    private static void checkReferences(List<SiteSpec> sites, List<ScheduledEvent> events) {
        Set<String> siteIds = new HashSet<>();
        Set<String> scannerIds = new HashSet<>();
        for (SiteSpec site : sites) {
            if (!siteIds.add(site.id())) {
                throw new IllegalArgumentException("sites.id must be unique, " + site.id() + " repeats");
            }
            for (ScannerSpec s : site.scanners()) {
                if (!scannerIds.add(s.id())) {
                    throw new IllegalArgumentException("scanners.id must be unique, " + s.id() + " repeats");
                }
            }
        }
        for (ScheduledEvent e : events) {
            if (e instanceof ScheduledEvent.NewScanner n) {
                siteIds.add(n.site());
                if (!scannerIds.add(n.scanner().id())) {
                    throw new IllegalArgumentException(
                            "scanners.id must be unique, " + n.scanner().id() + " repeats");
                }
            }
        }
        for (ScheduledEvent e : events) {
            if (e instanceof ScheduledEvent.SoftwareUpdate u && !scannerIds.contains(u.scanner())) {
                throw new IllegalArgumentException("events.software_update.scanner names no scanner: " + u.scanner());
            }
            if (e instanceof ScheduledEvent.PrevalenceChange p && p.site() != null && !siteIds.contains(p.site())) {
                throw new IllegalArgumentException("events.prevalence_change.site names no site: " + p.site());
            }
        }
    }

    /** This scenario without scheduled events (for null tests). */
    public Scenario withoutEvents() {
        return new Scenario(
                name,
                description,
                model,
                days,
                prevalence,
                scoreModel,
                demographics,
                features,
                hourlyProfile,
                sites,
                repeats,
                labels,
                List.of());
    }

    /** Parses a scenario from JSON. */
    public static Scenario fromJson(InputStream json) throws IOException {
        return READER.readValue(json, Scenario.class);
    }

    /** Loads a scenario from a JSON file. */
    public static Scenario load(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return fromJson(in);
        }
    }

    /** A scenario shipped in {@code scenarios/<name>.json} on the classpath, e.g. {@code default}. */
    public static Scenario builtIn(String name) {
        if (!BUILT_IN.contains(name)) {
            throw new IllegalArgumentException("no built-in scenario " + name + "; known: " + BUILT_IN);
        }
        try (InputStream in = Scenario.class.getResourceAsStream("/scenarios/" + name + ".json")) {
            if (in == null) {
                throw new IllegalStateException("scenarios/" + name + ".json missing from the classpath");
            }
            return fromJson(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read built-in scenario " + name, e);
        }
    }

    /** A built-in scenario by name ({@link #BUILT_IN}), otherwise a JSON file at that path. */
    public static Scenario resolve(String nameOrPath) throws IOException {
        return BUILT_IN.contains(nameOrPath) ? builtIn(nameOrPath) : load(Path.of(nameOrPath));
    }
}
