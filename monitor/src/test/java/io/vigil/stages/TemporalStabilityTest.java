package io.vigil.stages;

import static io.vigil.stages.EarlyWarningDriver.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.vigil.aggregates.StabilityAggregate;
import io.vigil.config.VigilConfig;
import io.vigil.events.Demographics;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.ModelRef;
import io.vigil.events.Prediction;
import io.vigil.events.ReferenceProfile;
import io.vigil.events.Scanner;
import io.vigil.stages.shared.EventDay;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

/** Temporal stability through the whole topology, checked against a batch computation on the same data. */
class TemporalStabilityTest {
    private static final long TODAY = EventDay.of(NOW);
    private static final int INTERVAL_DAYS = 30;
    private static final long INTERVAL_MS = INTERVAL_DAYS * 86_400_000L;
    private static final ModelRef MODEL = new ModelRef("stability-model", "1.0");
    private static final Map<String, Object> ENABLED = Map.of(
            VigilConfig.STABILITY_ENABLED,
            "true",
            VigilConfig.STABILITY_SUBJECT_KEY_SECRET,
            EarlyWarningDriver.SECRET,
            VigilConfig.STABILITY_REPEAT_INTERVAL_DAYS,
            String.valueOf(INTERVAL_DAYS));
    private static int ids;

    private static Prediction prediction(String subject, double score, Instant at, String site) {
        return new Prediction(
                "p-" + (ids++),
                at,
                MODEL,
                "binary",
                score,
                0.5,
                null,
                site,
                new Scanner("CT-1", "Siemens", "SOMATOM Force", "5.0", "CT", "CHEST"),
                subject,
                null,
                new Demographics("F", "60-69"),
                null,
                null,
                Map.of(),
                Map.of());
    }

    /** Subjects with 1 to 8 studies at random times over 90 days, scores around a per-subject level. */
    private static List<Prediction> simulate(int subjects, long seed) {
        Random rnd = new Random(seed);
        List<Prediction> out = new ArrayList<>();
        long start = (TODAY - 90) * 86_400_000L;
        for (int s = 0; s < subjects; s++) {
            double level = rnd.nextDouble();
            int studies = 1 + rnd.nextInt(8);
            for (int i = 0; i < studies; i++) {
                long t = start + (long) (rnd.nextDouble() * 89 * 86_400_000L);
                double score = Math.max(0, Math.min(1, level + 0.1 * rnd.nextGaussian()));
                out.add(prediction("MRN-" + s, score, Instant.ofEpochMilli(t), rnd.nextBoolean() ? "S01" : "S02"));
            }
        }
        out.sort(Comparator.comparing(Prediction::occurredAt));
        return out;
    }

    /** A repeat pair, computed in batch: the later prediction's site and day, change, flip. */
    private record Pair(String site, long day, double change, boolean flipped) {}

    private static List<Pair> batchPairs(List<Prediction> sorted) {
        Map<String, Prediction> last = new HashMap<>();
        List<Pair> pairs = new ArrayList<>();
        for (Prediction p : sorted) {
            Prediction prev = last.get(p.subjectKey());
            if (prev != null
                    && p.occurredAt().toEpochMilli() - prev.occurredAt().toEpochMilli() <= INTERVAL_MS) {
                pairs.add(new Pair(
                        p.site(),
                        EventDay.of(p.occurredAt()),
                        Math.abs(p.score() - prev.score()),
                        p.predictedPositive() != prev.predictedPositive()));
            }
            last.put(p.subjectKey(), p);
        }
        return pairs;
    }

    private static ReferenceProfile referenceWithFlipRate(double flipRate) {
        ReferenceProfile p = PerformanceEstimationTest.reference(MODEL, 1000, 3, false);
        return new ReferenceProfile(
                p.model(),
                p.source(),
                p.createdAt(),
                p.n(),
                p.burnIn(),
                p.threshold(),
                p.score(),
                p.positives(),
                p.uncertainty(),
                p.abstentions(),
                p.features(),
                p.attributes(),
                p.known(),
                new ReferenceProfile.Labelled(List.of(), Map.of(TemporalStability.REFERENCE_FLIP_RATE, flipRate)));
    }

    @Test
    void shouldEqualTheBatchFlipRateAndQuantilesExactlyWhenFedTheSameRepeats() {
        List<Prediction> predictions = simulate(400, 42);
        List<Pair> pairs = batchPairs(predictions);
        List<byte[]> internalValues = new ArrayList<>();
        List<byte[]> internalKeys = new ArrayList<>();
        try (EarlyWarningDriver d = new EarlyWarningDriver(ENABLED)) {
            d.inspector = (topic, key, value) -> {
                internalKeys.add(key);
                internalValues.add(value);
            };
            d.publish(referenceWithFlipRate(0.1));
            predictions.forEach(d::send);
            d.round();
            long latestDay = EventDay.of(predictions.get(predictions.size() - 1).occurredAt());
            for (int w : List.of(7, 30)) {
                for (String site : new String[] {null, "S01", "S02"}) {
                    Predicate<Pair> in = p ->
                            p.day() > latestDay - w && (site == null || p.site().equals(site));
                    List<Pair> window = pairs.stream().filter(in).toList();
                    long flips = window.stream().filter(Pair::flipped).count();
                    String dim = site == null ? "all" : "site";
                    String value = site == null ? "all" : site;
                    MetricSnapshot flip = d.get(MODEL, dim, value, w + "d", "flip_rate");
                    assertThat(flip.n()).as("pairs %s %sd", value, w).isEqualTo(window.size());
                    assertThat(flip.estimate())
                            .as("flip rate %s %sd", value, w)
                            .isEqualTo((double) flips / window.size());
                    assertThat(flip.pValue()).isEqualTo(TemporalStability.oneSamplePValue(flips, window.size(), 0.1));
                    double[] changes =
                            window.stream().mapToDouble(Pair::change).sorted().toArray();
                    for (double q : new double[] {0.5, 0.9}) {
                        double exact = changes[(int) Math.ceil(q * changes.length) - 1];
                        assertThat(d.get(MODEL, dim, value, w + "d", "score_change:" + q)
                                        .estimate())
                                .isCloseTo(exact, within(0.5 / StabilityAggregate.CHANGE_BINS + 1e-12));
                    }
                }
            }
            assertThat(pairs.size()).isGreaterThan(300);
            MetricSnapshot cusum = d.get(MODEL, "all", "all", "60d", "cusum:flip_rate");
            assertThat(cusum).isNotNull();
            assertThat(cusum.upper()).isGreaterThan(0);

            // The raw subject key is on no internal topic (repartition, changelogs) and in no snapshot.
            assertThat(internalKeys).isNotEmpty();
            for (List<byte[]> list : List.of(internalKeys, internalValues)) {
                for (byte[] b : list) {
                    if (b != null) {
                        assertThat(new String(b, StandardCharsets.ISO_8859_1)).doesNotContain("MRN-");
                    }
                }
            }
            assertThat(d.latest.values())
                    .allSatisfy(s -> assertThat(s.toString()).doesNotContain("MRN-"));
            KeyValueStore<String, byte[]> last = d.driver.getKeyValueStore(TemporalStability.LAST_STORE);
            try (KeyValueIterator<String, byte[]> it = last.all()) {
                while (it.hasNext()) {
                    assertThat(it.next().key).matches("stability-model\\|1\\.0\\|[0-9a-f]{64}");
                }
            }
        }
    }

    @Test
    void shouldExpireTheLastPredictionThroughTheTimeIndexWhenTheIntervalPasses() {
        try (EarlyWarningDriver d = new EarlyWarningDriver(ENABLED)) {
            long day0 = TODAY - 80;
            d.send(prediction("A", 0.2, EarlyWarningDriver.at(day0, 1), "S01"));
            d.send(prediction("B", 0.7, EarlyWarningDriver.at(day0, 2), "S01"));
            d.send(prediction("A", 0.6, EarlyWarningDriver.at(day0 + 10, 1), "S01"));
            KeyValueStore<String, byte[]> last = d.driver.getKeyValueStore(TemporalStability.LAST_STORE);
            KeyValueStore<String, byte[]> index = d.driver.getKeyValueStore(TemporalStability.EXPIRY_STORE);
            assertThat(count(last)).isEqualTo(2);
            assertThat(count(index)).isEqualTo(2);
            // Stream time passes B's expiry (day0 + 30) but not A's (day0 + 40).
            d.send(prediction("C", 0.1, EarlyWarningDriver.at(day0 + 35, 1), "S01"));
            assertThat(count(last)).isEqualTo(2);
            assertThat(count(index)).isEqualTo(2);
            // B again after more than the interval: no pair.
            d.send(prediction("B", 0.1, EarlyWarningDriver.at(day0 + 36, 1), "S01"));
            d.round();
            MetricSnapshot flip = d.get(MODEL, "all", "all", "7d", "flip_rate");
            assertThat(flip).isNull();
            MetricSnapshot month =
                    d.latest.get(String.join("|", MODEL.id(), MODEL.version(), "all", "all", "30d", "flip_rate"));
            // Only A's pair (day0 -> day0 + 10, decision flipped) exists: B's return came after its expiry.
            assertThat(month.n()).isEqualTo(1);
            assertThat(month.estimate()).isEqualTo(1.0);
        }
    }

    @Test
    void shouldPairOnceAndCountFlipWhenTheSameSubjectReturnsWithinTheInterval() {
        try (EarlyWarningDriver d = new EarlyWarningDriver(ENABLED)) {
            long day0 = TODAY - 5;
            d.send(prediction("A", 0.45, EarlyWarningDriver.at(day0, 1), "S01"));
            d.send(prediction("A", 0.55, EarlyWarningDriver.at(day0 + 1, 1), "S02"));
            d.send(prediction("B", 0.9, EarlyWarningDriver.at(day0 + 1, 2), "S01"));
            d.send(new Prediction(
                    "p-" + (ids++),
                    EarlyWarningDriver.at(day0 + 1, 3),
                    MODEL,
                    "binary",
                    0.3,
                    0.5,
                    null,
                    "S01",
                    new Scanner("CT-1", "Siemens", "SOMATOM Force", "5.0", "CT", "CHEST"),
                    null,
                    null,
                    null,
                    null,
                    null,
                    Map.of(),
                    Map.of()));
            d.round();
            MetricSnapshot flip = d.get(MODEL, "all", "all", "7d", "flip_rate");
            assertThat(flip.n()).isEqualTo(1);
            assertThat(flip.estimate()).isEqualTo(1.0);
            assertThat(flip.pValue()).isNull();
            assertThat(d.get(MODEL, "site", "S02", "7d", "flip_rate").n()).isEqualTo(1);
            assertThat(d.get(MODEL, "site", "S01", "7d", "flip_rate")).isNull();
            assertThat(d.get(MODEL, "all", "all", "7d", "score_change:0.5").estimate())
                    .isCloseTo(0.1, within(0.0006));
            assertThat(d.get(MODEL, "all", "all", "7d", "predictions_without_subject")
                            .estimate())
                    .isEqualTo(1.0);
            assertThat(d.get(MODEL, "all", "all", "60d", "cusum:flip_rate")).isNull();
        }
    }

    @Test
    void shouldFailFastWhenStabilityIsEnabledWithoutASecret() {
        Map<String, Object> values = new HashMap<>();
        values.put(VigilConfig.BOOTSTRAP_SERVERS, "unused:9092");
        values.put(VigilConfig.STABILITY_ENABLED, "true");
        assertThatThrownBy(() -> new VigilConfig(values))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(VigilConfig.STABILITY_SUBJECT_KEY_SECRET);
        values.put(VigilConfig.STABILITY_SUBJECT_KEY_SECRET, "short");
        assertThatThrownBy(() -> new VigilConfig(values))
                .isInstanceOf(ConfigException.class)
                .hasMessageNotContaining("short");
    }

    @Test
    void shouldGiveAStableKeyedPseudonymWhenHashingASubjectKey() {
        String a = TemporalStability.pseudonym(TemporalStability.hmac(EarlyWarningDriver.SECRET), "MRN-1");
        String b = TemporalStability.pseudonym(TemporalStability.hmac(EarlyWarningDriver.SECRET), "MRN-1");
        String c = TemporalStability.pseudonym(TemporalStability.hmac(EarlyWarningDriver.SECRET + "x"), "MRN-1");
        assertThat(a).matches("[0-9a-f]{64}").isEqualTo(b).isNotEqualTo(c);
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assertThat(TemporalStability.pseudonym(TemporalStability.hmac("Jefe"), "what do ya want for nothing?"))
                .isEqualTo("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assertThat(Arrays.asList(TemporalStability.indexKey(5, "k"), TemporalStability.indexKey(40, "a")))
                .isSorted();
    }

    private static int count(KeyValueStore<String, byte[]> store) {
        int n = 0;
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                n += kv.key != null ? 1 : 0;
            }
        }
        return n;
    }
}
