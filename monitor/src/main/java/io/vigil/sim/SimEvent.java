package io.vigil.sim;

import io.vigil.events.GroundTruth;
import io.vigil.events.Prediction;
import java.time.Instant;
import java.util.Objects;

/**
 * One simulated event: a {@link Prediction} at its {@code occurred_at} or a {@link GroundTruth} at its
 * {@code observed_at}. {@code key} is the prediction id (the Kafka record key of both topics).
 */
public record SimEvent(Type type, String key, Record value, Instant time) {

    /** Which contract {@link #value()} follows. */
    public enum Type {
        PREDICTION,
        GROUND_TRUTH
    }

    public SimEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(time, "time");
        if (type == Type.PREDICTION != value instanceof Prediction) {
            throw new IllegalArgumentException(
                    "type " + type + " does not match " + value.getClass().getSimpleName());
        }
    }

    static SimEvent of(Prediction p) {
        return new SimEvent(Type.PREDICTION, p.predictionId(), p, p.occurredAt());
    }

    static SimEvent of(GroundTruth g) {
        return new SimEvent(Type.GROUND_TRUTH, g.predictionId(), g, g.observedAt());
    }

    public boolean isPrediction() {
        return type == Type.PREDICTION;
    }

    /** The prediction; throws if this is a ground-truth event. */
    public Prediction prediction() {
        if (type != Type.PREDICTION) {
            throw new IllegalStateException("not a prediction event");
        }
        return (Prediction) value;
    }

    /** The ground truth; throws if this is a prediction event. */
    public GroundTruth groundTruth() {
        if (type != Type.GROUND_TRUTH) {
            throw new IllegalStateException("not a ground-truth event");
        }
        return (GroundTruth) value;
    }
}
