package io.vigil.topology;

import io.vigil.events.EventValidator;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;

/** Builds the whole monitor topology from its stages. {@code main} and the tests call the same method. */
public final class VigilTopology {
    private VigilTopology() {}

    public static Topology build(Topics topics, EventValidator validator) {
        StreamsBuilder builder = new StreamsBuilder();
        new Ingest(topics, validator).addTo(builder);
        return builder.build();
    }
}
