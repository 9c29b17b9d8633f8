package io.vigil.topology;

import io.vigil.config.VigilConfig;
import io.vigil.events.EventValidator;
import io.vigil.events.SlicedPrediction;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.KStream;

/** Builds the whole monitor topology from its stages. {@code main} and the tests call the same method. */
public final class VigilTopology {
    private VigilTopology() {}

    public static Topology build(VigilConfig config, Topics topics, EventValidator validator) {
        StreamsBuilder builder = new StreamsBuilder();
        Ingest.Output ingested = new Ingest(topics, validator).addTo(builder);
        KStream<String, SlicedPrediction> sliced = new SliceAssignment(config.getInt(VigilConfig.SLICES_MAX_VALUES),
                config.getList(VigilConfig.SLICES_ATTRIBUTES)).addTo(builder, ingested.predictions());
        MetricSnapshots snapshots = new MetricSnapshots(topics);
        snapshots.addViewTo(builder);
        snapshots.publish(new Performance(topics, Performance.Settings.from(config))
                .addTo(builder, sliced, ingested.groundTruth()), Performance.NAME);
        // Later stages (drift, outcomes, ...) consume `sliced` and `ingested.groundTruth()` and
        // publish through `snapshots`.
        sliced.peek((k, v) -> { }, org.apache.kafka.streams.kstream.Named.as("sliced-sink-placeholder"));
        return builder.build();
    }
}
