package io.vigil.topology;

import io.vigil.aggregates.OutcomeChange;
import io.vigil.aggregates.StudyPairChange;
import io.vigil.alerts.AlertEvaluator;
import io.vigil.alerts.AlertSettings;
import io.vigil.config.VigilConfig;
import io.vigil.deadletters.DeadLetterLimit;
import io.vigil.events.EventValidator;
import io.vigil.events.MetricSnapshot;
import io.vigil.events.SlicedPrediction;
import io.vigil.stages.Ingest;
import io.vigil.stages.OutcomeJoin;
import io.vigil.stages.Performance;
import io.vigil.stages.PerformanceEstimation;
import io.vigil.stages.RepeatStudies;
import io.vigil.stages.ScannerInventory;
import io.vigil.stages.ScoreDrift;
import io.vigil.stages.SliceAssignment;
import io.vigil.stages.TemporalStability;
import io.vigil.stages.shared.References;
import io.vigil.stages.shared.SliceAdmission;
import io.vigil.topics.JoinPartitions;
import io.vigil.topics.MetricSnapshots;
import io.vigil.topics.Topics;
import java.util.List;
import java.util.function.Supplier;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.KStream;

/** Builds the whole monitor topology from its stages. {@code main} and the tests call the same method. */
public final class VigilTopology {
    private VigilTopology() {}

    public static Topology build(VigilConfig config, Topics topics, EventValidator validator) {
        return build(config, topics, validator, List::of);
    }

    /** As {@link #build(VigilConfig, Topics, EventValidator)}, with the pipeline's self-check snapshots for the alert rules. */
    public static Topology build(
            VigilConfig config, Topics topics, EventValidator validator, Supplier<List<MetricSnapshot>> pipeline) {
        return build(config, topics, validator, pipeline, DeadLetterLimit.kafkaDefaults(), JoinPartitions.unknown());
    }

    /**
     * @param deadLetterLimit the dead-letter topic's record limit, set at startup (see {@link DeadLetterLimit})
     * @param joinPartitions  the outcome join's partition count, set at startup; while unknown every record
     *                        takes the join's repartition topic (see {@link JoinPartitions})
     */
    public static Topology build(
            VigilConfig config,
            Topics topics,
            EventValidator validator,
            Supplier<List<MetricSnapshot>> pipeline,
            DeadLetterLimit deadLetterLimit,
            JoinPartitions joinPartitions) {
        StreamsBuilder builder = new StreamsBuilder();
        Ingest.Output ingested = new Ingest(topics, validator, deadLetterLimit).addTo(builder);
        KStream<String, SlicedPrediction> sliced = new SliceAssignment(
                        new SliceAdmission(topics, config.getInt(VigilConfig.SLICES_MAX_VALUES)),
                        config.getList(VigilConfig.SLICES_ATTRIBUTES))
                .addTo(builder, ingested.predictions());
        MetricSnapshots snapshots = new MetricSnapshots(topics);
        snapshots.addViewTo(builder);
        References references = new References(topics);
        references.addViewTo(builder);
        snapshots.publish(
                new ScoreDrift(ScoreDrift.Settings.from(config), topics, references).addTo(builder, sliced),
                ScoreDrift.NAME);
        if (config.getBoolean(VigilConfig.ALERTS_ENABLED)) {
            ScannerInventory inventory = new ScannerInventory(topics);
            inventory.addTo(builder, sliced);
            inventory.addViewTo(builder);
            AlertEvaluator alerts =
                    AlertSettings.from(config).evaluator(topics, pipeline, config.getInt(VigilConfig.OUTCOMES_MIN_N));
            alerts.addTo(builder);
            alerts.addViewTo(builder);
        }
        Performance.Settings performance = Performance.Settings.from(config);
        KStream<String, OutcomeChange> outcomes = new OutcomeJoin(
                        topics,
                        performance.maxDelayDays(),
                        performance.orphanRetentionDays(),
                        joinPartitions,
                        performance.labelWait(),
                        config.patientWiseSecret(),
                        config.getInt(VigilConfig.OUTCOMES_EXPIRY_SWEEP_BATCH))
                .addTo(builder, sliced, ingested.groundTruth());
        // Patient-wise intervals need the subject-key secret: without it no change carries a subject.
        KStream<String, StudyPairChange> studyPairs = config.patientWiseSecret() == null
                ? null
                : new RepeatStudies(performance.longestWindow(), performance.maxDelayDays()).addTo(builder, outcomes);
        snapshots.publish(
                new Performance(performance, references).addTo(builder, outcomes, studyPairs), Performance.NAME);
        if (config.getBoolean(VigilConfig.ESTIMATION_ENABLED)) {
            snapshots.publish(
                    new PerformanceEstimation(PerformanceEstimation.Settings.from(config), references)
                            .addTo(builder, sliced),
                    PerformanceEstimation.NAME);
        }
        if (config.getBoolean(VigilConfig.STABILITY_ENABLED)) {
            snapshots.publish(
                    new TemporalStability(TemporalStability.Settings.from(config), references).addTo(builder, sliced),
                    TemporalStability.NAME);
        }
        return builder.build();
    }
}
