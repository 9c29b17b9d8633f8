package io.vigil.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.networknt.schema.JsonSchema;
import io.vigil.events.EventValidator;
import io.vigil.events.GroundTruth;
import io.vigil.events.Prediction;
import io.vigil.events.Reason;
import io.vigil.events.Validation;
import io.vigil.serde.Json;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Ingest's per-record cost: {@link EventValidator} on simulator predictions and labels as the
 * producers serialise them, a prediction rejected for its score (the dead-letter path up to the
 * {@code Reason}), and the three steps of a valid prediction on their own (JSON parse, schema walk,
 * tree-to-record binding) to show where the time goes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ValidationBenchmark {
    private final EventValidator validator = new EventValidator();
    private final ObjectReader reader = Json.reader();
    private final JsonSchema predictionSchema = EventValidator.schema(EventValidator.EventType.PREDICTION);

    private byte[][] predictions;
    private byte[][] labels;
    private byte[][] rejected;
    private JsonNode[] trees;
    private int i;

    @Setup
    public void setUp() throws IOException {
        Inputs in = Inputs.of(Inputs.SIZE, Inputs.SIZE);
        predictions = new byte[Inputs.SIZE][];
        labels = new byte[Inputs.SIZE][];
        rejected = new byte[Inputs.SIZE][];
        trees = new JsonNode[Inputs.SIZE];
        for (int k = 0; k < Inputs.SIZE; k++) {
            predictions[k] = Inputs.json(in.predictions.get(k));
            labels[k] = Inputs.json(in.labels.get(k));
            rejected[k] = Inputs.withBadScore(predictions[k]);
            trees[k] = reader.readTree(predictions[k]);
            // The inputs must take the paths they are named for.
            if (!validator.prediction(predictions[k], Inputs.NOW).accepted()
                    || !validator.groundTruth(labels[k], Inputs.NOW).accepted()
                    || !(validator.prediction(rejected[k], Inputs.NOW) instanceof Validation.Rejected<Prediction> r
                            && r.reason().code().equals(Reason.OUT_OF_RANGE))) {
                throw new IllegalStateException("input " + k + " does not take its intended path");
            }
        }
        System.out.printf(
                "%nbytes min/mean/max: predictions %s, labels %s, rejected %s%n",
                Inputs.sizes(predictions), Inputs.sizes(labels), Inputs.sizes(rejected));
    }

    private int next() {
        int k = i;
        i = (k + 1) & (Inputs.SIZE - 1);
        return k;
    }

    /** Parse, schema, bind and event-time check of one valid prediction. */
    @Benchmark
    public Validation<Prediction> predictionValid() {
        return validator.prediction(predictions[next()], Inputs.NOW);
    }

    /** The same for one ground-truth label. */
    @Benchmark
    public Validation<GroundTruth> labelValid() {
        return validator.groundTruth(labels[next()], Inputs.NOW);
    }

    /** A prediction with score 1.7: parse, schema walk, choice and wording of the reason. */
    @Benchmark
    public Validation<Prediction> predictionRejectedBadScore() {
        return validator.prediction(rejected[next()], Inputs.NOW);
    }

    /** Step 1 of a valid prediction: size check and JSON tree parse. */
    @Benchmark
    public Validation<JsonNode> predictionParseOnly() {
        return validator.parse(predictions[next()]);
    }

    /** Step 2: the JSON Schema 2020-12 walk over an already parsed tree. */
    @Benchmark
    public Object predictionSchemaOnly() {
        return predictionSchema.validate(trees[next()]);
    }

    /** Step 3: binding an already parsed and validated tree to the {@link Prediction} record. */
    @Benchmark
    public void predictionBindOnly(Blackhole bh) throws IOException {
        bh.consume(reader.treeToValue(trees[next()], Prediction.class));
    }
}
