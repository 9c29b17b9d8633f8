package io.vigil.events;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.stats.DistributionDrift;
import io.vigil.stats.KllSketches;
import io.vigil.stats.ReferenceDistribution;
import io.vigil.stats.ValueHistogram;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The baseline one model version is compared against (schemas/reference_profile.schema.json), kept
 * on the compacted references topic under {@link #key()} ({@code model|version}); the latest profile
 * of a version wins, so a vendor profile published after a burn-in one replaces it.
 *
 * <p>It records how it was made ({@code source}: {@code validation_file} from
 * {@code vigil reference build}, or {@code burn_in} learned by the drift stage, with the rule used),
 * the score distribution (histogram plus decile bins), the predicted-positive, uncertainty and
 * abstention baselines, one distribution and missing count per numeric feature, category counts per
 * attribute, the known acquisition values (scanner {@code site/id}, scanner model
 * {@code manufacturer model}, software {@code manufacturer model version}, the same strings as the
 * slice values) and, when the input had labels, per-score-bin label counts and claimed targets.
 * Counts are numbers of predictions; scores and rates are in [0, 1].
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ReferenceProfile(
        ModelRef model,
        Source source,
        @JsonProperty("created_at") Instant createdAt,
        long n,
        @JsonProperty("burn_in") BurnIn burnIn,
        Double threshold,
        Distribution score,
        long positives,
        Mean uncertainty,
        Proportion abstentions,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, Feature> features,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, Map<String, Long>> attributes,
        Known known,
        Labelled labelled) {

    /** How the profile was made. */
    public enum Source {
        @JsonProperty("validation_file")
        VALIDATION_FILE,
        @JsonProperty("burn_in")
        BURN_IN
    }

    public ReferenceProfile {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(createdAt, "created_at");
        Objects.requireNonNull(score, "score");
        Objects.requireNonNull(known, "known");
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1");
        }
        if (positives < 0 || positives > n) {
            throw new IllegalArgumentException("positives must be in [0, n]");
        }
        if (threshold != null && !(threshold >= 0 && threshold <= 1)) {
            throw new IllegalArgumentException("threshold must be in [0,1]");
        }
        if (source == Source.BURN_IN && burnIn == null) {
            throw new IllegalArgumentException("burn_in is required when source is burn_in");
        }
        features = features == null ? Map.of() : Map.copyOf(features);
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
    }

    /** The references-topic key of a model version: {@code model|version}. */
    public static String key(String model, String version) {
        return model + "|" + version;
    }

    /** This profile's references-topic key. */
    public String key() {
        return key(model.id(), model.version());
    }

    /**
     * The burn-in rule: at least {@code minPredictions} predictions and {@code minDays} days of the
     * {@code all} slice, whichever is later; the profile covers {@code firstDay..lastDay} (UTC).
     */
    public record BurnIn(
            @JsonProperty("min_predictions") long minPredictions,
            @JsonProperty("min_days") int minDays,
            @JsonProperty("first_day") LocalDate firstDay,
            @JsonProperty("last_day") LocalDate lastDay) {
        public BurnIn {
            Objects.requireNonNull(firstDay, "first_day");
            Objects.requireNonNull(lastDay, "last_day");
        }
    }

    /**
     * A numeric distribution: {@code n} values, inner bin {@code edges} (the deciles), the share per
     * bin {@code (-inf, e1), [e1, e2), ..., [e_last, +inf)}, and the values themselves as a
     * {@link ValueHistogram} (its canonical form, base64). Profiles written before 2026-12 carry a KLL
     * sketch ({@code kll}, DataSketches compact form, base64) instead; it is read and converted.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Distribution(long n, List<Double> edges, List<Double> proportions, String histogram, String kll) {
        public Distribution {
            if (histogram == null && kll == null) {
                throw new IllegalArgumentException("a distribution needs its histogram (or a legacy kll sketch)");
            }
            edges = List.copyOf(edges);
            proportions = List.copyOf(proportions);
        }

        public static Distribution of(ReferenceDistribution d) {
            return new Distribution(
                    d.n(),
                    box(d.edges()),
                    box(d.proportions()),
                    Base64.getEncoder().encodeToString(d.histogram().toBytes()),
                    null);
        }

        /** The distribution as the statistics code uses it; validates edges, shares and histogram. */
        public ReferenceDistribution toReferenceDistribution() {
            ValueHistogram values = histogram != null
                    ? ValueHistogram.fromBytes(Base64.getDecoder().decode(histogram))
                    : KllSketches.toHistogram(Base64.getDecoder().decode(kll), DistributionDrift.MAX_BUCKETS);
            return ReferenceDistribution.of(unbox(edges), unbox(proportions), values);
        }

        private static List<Double> box(double[] a) {
            return java.util.Arrays.stream(a).boxed().toList();
        }

        private static double[] unbox(List<Double> l) {
            return l.stream().mapToDouble(Double::doubleValue).toArray();
        }
    }

    /** A mean over {@code n} values (uncertainty, in [0, 1]). */
    public record Mean(double mean, long n) {}

    /** {@code count} of {@code n} predictions (abstentions). */
    public record Proportion(long count, long n) {
        public Proportion {
            if (count < 0 || count > n) {
                throw new IllegalArgumentException("count must be in [0, n]");
            }
        }
    }

    /** A numeric feature: its distribution where present and the number of predictions missing it. */
    public record Feature(Distribution distribution, long missing) {
        public Feature {
            Objects.requireNonNull(distribution, "distribution");
            if (missing < 0) {
                throw new IllegalArgumentException("missing must be >= 0");
            }
        }

        /** Predictions the profile saw for this feature: present plus missing. */
        @JsonIgnore
        public long total() {
            return distribution.n() + missing;
        }
    }

    /** Acquisition values present in the reference data, spelled as slice values. */
    public record Known(
            Set<String> scanners,
            @JsonProperty("scanner_models") Set<String> scannerModels,
            Set<String> software) {
        public Known {
            scanners = sorted(scanners);
            scannerModels = sorted(scannerModels);
            software = sorted(software);
        }

        private static Set<String> sorted(Set<String> values) {
            // Sorted so equal profiles serialise to equal bytes.
            return values == null
                    ? Set.of()
                    : java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(values));
        }

        /** Whether the reference recorded any value of this acquisition dimension. */
        public boolean knows(String dimension) {
            return switch (dimension) {
                case "scanner" -> !scanners.isEmpty();
                case "scanner_model" -> !scannerModels.isEmpty();
                case "software" -> !software.isEmpty();
                default -> false;
            };
        }

        /** Whether a value of slice dimension {@code scanner}, {@code scanner_model} or {@code software} is known. */
        public boolean contains(String dimension, String value) {
            return switch (dimension) {
                case "scanner" -> scanners.contains(value);
                case "scanner_model" -> scannerModels.contains(value);
                case "software" -> software.contains(value);
                default -> throw new IllegalArgumentException("not an acquisition dimension: " + dimension);
            };
        }
    }

    /**
     * Labelled reference data: counts of positive and negative labels per equal-width score bin
     * (enough to fit a calibration map later), and optional claimed targets such as
     * {@code sensitivity} or {@code specificity}.
     */
    public record Labelled(List<LabelBin> bins, Map<String, Double> targets) {
        public Labelled {
            bins = List.copyOf(bins);
            targets = targets == null ? Map.of() : Map.copyOf(targets);
        }
    }

    /** Labels of the reference predictions with {@code lower <= score < upper} (the last bin includes 1). */
    public record LabelBin(double lower, double upper, long positives, long negatives) {}
}
