package io.vigil.serde;

import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;
import java.util.Objects;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka {@link Serde} for one record type, through the shared {@link Json} configuration.
 *
 * <p>{@code null} maps to {@code null} both ways (tombstones). Any failure becomes a
 * {@link SerializationException} so the configured deserialization/production handler sees it.
 * Its message names the type, the topic and the JSON location and rule (see
 * {@link Json#describe(IOException)}); the Jackson exception is deliberately not attached as the
 * cause, because its message can echo field values (patient data) into logs and dead-letter
 * headers.
 *
 * <p>This serde checks only what Jackson and the record constructors check; edge topics that accept
 * events from outside go through {@code io.vigil.events.EventValidator} first.
 *
 * @param <T> the record type
 */
public final class JsonSerde<T> implements Serde<T> {

    private final Class<T> type;
    private final Serializer<T> serializer;
    private final Deserializer<T> deserializer;

    /** A serde for {@code type}. */
    public JsonSerde(Class<T> type) {
        this.type = Objects.requireNonNull(type, "type");
        ObjectWriter writer = Json.writer().forType(type);
        ObjectReader reader = Json.reader().forType(type);
        this.serializer = (topic, value) -> {
            if (value == null) {
                return null;
            }
            try {
                return writer.writeValueAsBytes(value);
            } catch (IOException e) {
                throw new SerializationException(
                        "cannot serialize " + type.getSimpleName() + " for topic " + topic + ": " + Json.describe(e));
            }
        };
        this.deserializer = (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return reader.readValue(bytes);
            } catch (IOException e) {
                throw new SerializationException("cannot deserialize " + type.getSimpleName() + " from topic " + topic
                        + ": " + Json.describe(e));
            } catch (RuntimeException e) {
                // A record constructor can throw outside Jackson's wrapping; its message is not trusted.
                throw new SerializationException("cannot deserialize " + type.getSimpleName() + " from topic " + topic
                        + ": " + e.getClass().getSimpleName());
            }
        };
    }

    /** A serde for {@code type}. */
    public static <T> JsonSerde<T> of(Class<T> type) {
        return new JsonSerde<>(type);
    }

    /** The record type this serde reads and writes. */
    public Class<T> type() {
        return type;
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }
}
