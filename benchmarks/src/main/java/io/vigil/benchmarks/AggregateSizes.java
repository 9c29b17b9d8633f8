package io.vigil.benchmarks;

import io.vigil.events.GroundTruth;
import io.vigil.events.Prediction;
import io.vigil.sim.Scenario;
import io.vigil.sim.SimEvent;
import io.vigil.sim.Simulator;
import io.vigil.topology.DriftAggregate;
import io.vigil.topology.EstimationAggregate;
import io.vigil.topology.OutcomeAggregate;
import io.vigil.topology.OutcomeChange;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Serialised size of one slice-day of each stage's aggregate at a range of daily volumes (the unit of
 * state, changelog and repartition traffic in SCALING.md). Run:
 * {@code java -cp benchmarks/target/benchmarks.jar io.vigil.benchmarks.AggregateSizes}.
 */
public final class AggregateSizes {
    private AggregateSizes() {}

    public static void main(String[] args) {
        List<Prediction> preds = new ArrayList<>();
        List<GroundTruth> labels = new ArrayList<>();
        Simulator.of(Scenario.builtIn("default"), 3L, LocalDate.of(2026, 1, 1), 400).limit(40000).forEach(e -> {
            if (e.type() == SimEvent.Type.PREDICTION) preds.add((Prediction) e.value()); else labels.add((GroundTruth) e.value());
        });
        Map<String, Prediction> byId = new HashMap<>();
        preds.forEach(p -> byId.put(p.predictionId(), p));
        for (int n : new int[] {30, 100, 1000, 10000}) {
            DriftAggregate d = DriftAggregate.empty();
            EstimationAggregate est = EstimationAggregate.empty();
            OutcomeAggregate o = OutcomeAggregate.CODEC.empty();
            int labelled = 0;
            for (int i = 0; i < n && i < preds.size(); i++) {
                Prediction p = preds.get(i);
                d.add(p, null, true);
                est.add(p.score(), p.threshold(), p.predictedPositive(), null);
            }
            for (GroundTruth gt : labels) {
                if (labelled >= n * 0.44) break;
                Prediction p = byId.get(gt.predictionId());
                if (p == null) continue;
                o.apply(new OutcomeChange(List.of("g"), p.score(), p.threshold(), 1, gt.label(), 1, 3600));
                labelled++;
            }
            System.out.printf("%6d predictions/slice-day (%d labels): drift %,d B, estimation %,d B, performance %,d B%n", n, labelled,
                DriftAggregate.CODEC.toBytes(d).length, EstimationAggregate.CODEC.toBytes(est).length, OutcomeAggregate.CODEC.toBytes(o).length);
        }
    }
}
