package io.vigil.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Every metric a {@link io.vigil.events.MetricSnapshot} can carry, with its Prometheus name, unit
 * and help. A snapshot metric is {@code family} or {@code family:param} (a feature name, a
 * reliability bin, an attribute); the parameter becomes the label named by {@link Family#paramLabel()}.
 * Names follow Prometheus conventions: base units, {@code _ratio} for 0..1.
 *
 * <p>Each family is either a <em>decision</em> family, exported on {@code /metrics} at the default, or a
 * <em>detail</em> family, exported only with {@code metrics.detail=true} (issue 17's series budget; see
 * {@link PrometheusExport}). Decision families are the ones the shipped rules and the overview dashboards read:
 * volume, the score and feature drift tests, the outcome metrics a clinician acts on with their intervals, the
 * label-free estimates the rules watch, flip rate and the CUSUMs. Detail families (reliability bins, Brier terms,
 * quantiles, secondary distances, per-feature means, worst-slice rankings) stay on {@code /api} and the snapshots
 * topic either way.
 */
public final class MetricCatalog {

    /**
     * One metric family: snapshot name, Prometheus name, help text, the label of its parameter (or null), whether
     * it is detail (exported only with {@code metrics.detail=true}) and whether its window is a rolling window that
     * {@code metrics.windows} selects (a CUSUM's window is its history: always exported).
     */
    public record Family(
            String name, String prometheusName, String help, String paramLabel, boolean detail, boolean windowed) {}

    private static final Map<String, Family> FAMILIES = new LinkedHashMap<>();

    private static void add(String name, String prometheusName, String help) {
        add(name, prometheusName, help, null);
    }

    private static void add(String name, String prometheusName, String help, String paramLabel) {
        FAMILIES.put(name, new Family(name, prometheusName, help, paramLabel, false, !name.startsWith("cusum")));
    }

    private static void detail(String name, String prometheusName, String help) {
        detail(name, prometheusName, help, null);
    }

    private static void detail(String name, String prometheusName, String help, String paramLabel) {
        FAMILIES.put(name, new Family(name, prometheusName, help, paramLabel, true, true));
    }

    static {
        // Volume and drift (no labels needed)
        add("predictions", "vigil_window_predictions", "Predictions in the window");
        add(
                "late_records",
                "vigil_window_late_records",
                "Predictions that arrived after the grace period and were counted but not aggregated");
        detail("score_mean", "vigil_score_mean", "Mean score (probability of the positive class) in the window");
        add(
                "score_ks",
                "vigil_score_ks_statistic",
                "Kolmogorov-Smirnov distance between window and reference score distributions; upper = the "
                        + "sketch-aware critical value at alpha 0.05");
        add("score_psi", "vigil_score_psi", "Population stability index of scores over reference deciles");
        detail(
                "score_js_distance",
                "vigil_score_js_distance",
                "Jensen-Shannon distance (base 2) over reference deciles");
        detail("score_wasserstein", "vigil_score_wasserstein", "Wasserstein-1 distance between score distributions");
        add("positive_rate", "vigil_positive_rate_ratio", "Share of predictions at or above the threshold");
        detail("uncertainty_mean", "vigil_uncertainty_mean", "Mean reported model uncertainty");
        detail("abstention_rate", "vigil_abstention_rate_ratio", "Share of predictions where the model abstained");
        detail("feature_mean", "vigil_feature_mean", "Mean of an input or output-quality feature", "feature");
        detail("feature_ks", "vigil_feature_ks_statistic", "KS distance of a feature against the reference", "feature");
        add("feature_psi", "vigil_feature_psi", "PSI of a feature against the reference", "feature");
        detail(
                "feature_missing_rate",
                "vigil_feature_missing_rate_ratio",
                "Share of predictions missing a feature",
                "feature");
        detail(
                "attribute_chi_square",
                "vigil_attribute_chi_square",
                "Pearson chi-square of a categorical attribute against the reference",
                "attribute");
        add(
                "acquisition_change",
                "vigil_acquisition_change",
                "1 when the slice value (scanner, scanner model, software) is absent from the reference profile");
        // Outcomes (labels)
        add("labelled", "vigil_window_labelled", "Predictions with a ground-truth label in the window's cohorts");
        add("prevalence", "vigil_prevalence_ratio", "Share of labelled cases that are positive");
        add("sensitivity", "vigil_sensitivity_ratio", "True-positive rate at the deployed threshold");
        add("specificity", "vigil_specificity_ratio", "True-negative rate at the deployed threshold");
        add("ppv", "vigil_ppv_ratio", "Positive predictive value at the deployed threshold");
        add("npv", "vigil_npv_ratio", "Negative predictive value at the deployed threshold");
        detail(
                "ppv_at_reference_prevalence",
                "vigil_ppv_at_reference_prevalence_ratio",
                "PPV at the reference profile's prevalence (claimed, else its labelled share): Bayes from the "
                        + "window's sensitivity and specificity, so a prevalence change does not move it; conservative "
                        + "interval from two 97.5% Wilson intervals");
        detail(
                "npv_at_reference_prevalence",
                "vigil_npv_at_reference_prevalence_ratio",
                "NPV at the reference profile's prevalence (claimed, else its labelled share): Bayes from the "
                        + "window's sensitivity and specificity, so a prevalence change does not move it; conservative "
                        + "interval from two 97.5% Wilson intervals");
        add(
                "prevalence_shift",
                "vigil_prevalence_shift",
                "Observed prevalence minus the reference profile's prevalence (positive: more disease than the "
                        + "reference), Newcombe hybrid-score 95% interval");
        add("auc", "vigil_auc_ratio", "Area under the ROC curve, DeLong interval on the logit scale");
        detail("brier", "vigil_brier_score", "Brier score (mean squared error of the probability)");
        detail("brier_reliability", "vigil_brier_reliability", "Murphy reliability term over 10 bins");
        detail("brier_resolution", "vigil_brier_resolution", "Murphy resolution term over 10 bins");
        detail("brier_uncertainty", "vigil_brier_uncertainty", "Murphy uncertainty term o(1-o)");
        detail("log_loss", "vigil_log_loss", "Mean negative log-likelihood");
        add(
                "ece",
                "vigil_ece_ratio",
                "Expected calibration error over 10 equal-width bins, debiased, with its 95% interval");
        detail("mce", "vigil_mce_ratio", "Maximum calibration error over 10 equal-width bins");
        add("oe_ratio", "vigil_observed_expected_ratio", "Observed over expected positives (calibration in the large)");
        add("calibration_slope", "vigil_calibration_slope", "Slope of the logistic recalibration (ideal 1)");
        detail(
                "calibration_intercept",
                "vigil_calibration_intercept",
                "Intercept of the logistic recalibration with the slope free (ideal 0)");
        detail(
                "calibration_in_the_large",
                "vigil_calibration_in_the_large",
                "Calibration-in-the-large: recalibration intercept with the slope fixed at 1 (ideal 0; below 0: "
                        + "probabilities too high)");
        detail(
                "reliability_observed",
                "vigil_reliability_observed_ratio",
                "Observed positive rate in a reliability-diagram bin",
                "bin");
        detail(
                "reliability_mean_score",
                "vigil_reliability_mean_score",
                "Mean score in a reliability-diagram bin",
                "bin");
        add("label_coverage", "vigil_label_coverage_ratio", "Share of predictions that have a label");
        detail(
                "label_coverage_predicted_positive",
                "vigil_label_coverage_predicted_positive_ratio",
                "Label coverage among predicted positives");
        detail(
                "label_coverage_predicted_negative",
                "vigil_label_coverage_predicted_negative_ratio",
                "Label coverage among predicted negatives");
        add(
                "verification_bias",
                "vigil_verification_bias",
                "1 when coverage among predicted negatives is far below coverage among predicted positives");
        detail("label_delay", "vigil_label_delay_seconds", "Label delay quantile", "quantile");
        detail(
                "worst_slice",
                "vigil_worst_slice",
                "Worst slice's value, per metric; interval simultaneous (Bonferroni) " + "over the slices compared",
                "metric");
        detail(
                "worst_slice_gap",
                "vigil_worst_slice_gap",
                "Worst slice's gap to all, per metric; interval simultaneous "
                        + "(Bonferroni) over the slices compared",
                "metric");
        detail(
                "worst_slice_compared",
                "vigil_worst_slice_compared",
                "Number of slices compared for the worst slice (those with n >= outcomes.min-n), per metric",
                "metric");
        // Early warning and stability
        add(
                "estimated_sensitivity",
                "vigil_estimated_sensitivity_ratio",
                "Sensitivity estimated without labels (CBPE)");
        add(
                "estimated_specificity",
                "vigil_estimated_specificity_ratio",
                "Specificity estimated without labels (CBPE)");
        detail("estimated_ppv", "vigil_estimated_ppv_ratio", "PPV estimated without labels (CBPE)");
        detail("estimated_npv", "vigil_estimated_npv_ratio", "NPV estimated without labels (CBPE)");
        detail("estimated_auc", "vigil_estimated_auc_ratio", "AUC estimated without labels (CBPE)");
        add(
                "estimation_error",
                "vigil_estimation_error",
                "Realised minus estimated value once labels matured",
                "metric");
        add("flip_rate", "vigil_flip_rate_ratio", "Share of repeat studies whose decision flipped");
        detail("score_change", "vigil_score_change", "Absolute score change between repeat studies", "quantile");
        add("cusum", "vigil_cusum_statistic", "CUSUM statistic; upper = alarm threshold", "series");
        add("cusum_alarm", "vigil_cusum_alarm", "1 while the CUSUM is in alarm", "series");
        add(
                "cusum_change_start",
                "vigil_cusum_change_start_timestamp_seconds",
                "Start of the estimated first changed UTC day while the CUSUM is in alarm",
                "series");
        detail(
                "predictions_without_subject",
                "vigil_window_predictions_without_subject",
                "Predictions without a subject_key, skipped by the stability stage");
    }

    private MetricCatalog() {}

    /** The family of a snapshot metric name ({@code family} or {@code family:param}). */
    public static Optional<Family> family(String metric) {
        int colon = metric.indexOf(':');
        return Optional.ofNullable(FAMILIES.get(colon < 0 ? metric : metric.substring(0, colon)));
    }

    /** The parameter of {@code family:param}, or null. */
    public static String param(String metric) {
        int colon = metric.indexOf(':');
        return colon < 0 ? null : metric.substring(colon + 1);
    }

    public static Map<String, Family> families() {
        return java.util.Collections.unmodifiableMap(FAMILIES);
    }
}
