package io.vigil.sim;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The JSON form of simulated events: RFC 3339 instants, map entries sorted by key (so equal events
 * give equal bytes in every JVM), empty optional maps left out, one compact object per event.
 */
public final class EventJson {
    private static final ObjectWriter WRITER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            // Optional maps (features, attributes) are left out when empty rather than written as {}.
            .withConfigOverride(
                    Map.class,
                    o -> o.setInclude(
                            JsonInclude.Value.construct(JsonInclude.Include.NON_EMPTY, JsonInclude.Include.NON_NULL)))
            .build()
            .writer();

    private EventJson() {}

    /** The UTF-8 JSON of {@code event.value()}, without a line terminator. */
    public static byte[] bytes(SimEvent event) {
        try {
            return WRITER.writeValueAsBytes(event.value());
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot serialise " + event.type() + " " + event.key(), e);
        }
    }
}
