package io.vigil.benchmarks;

import io.vigil.aggregates.DriftAggregate;
import io.vigil.aggregates.EstimationAggregate;
import io.vigil.aggregates.OutcomeAggregate;
import io.vigil.aggregates.OutcomeChange;
import io.vigil.events.GroundTruth;
import io.vigil.events.Prediction;
import io.vigil.sim.Scenario;
import io.vigil.sim.SimEvent;
import io.vigil.sim.Simulator;
import io.vigil.stats.LogisticRecalibration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jol.info.GraphLayout;

/**
 * Serialised size of one slice-day of each stage's aggregate at a range of daily volumes (the unit of
 * state, changelog and repartition traffic in docs/scaling.md), and the retained heap of the performance
 * aggregate and of its logit bins (JOL's object graph walk; the heap stores hold decoded aggregates).
 * Run: {@code java -Djdk.attach.allowAttachSelf=true -cp benchmarks/target/benchmarks.jar io.vigil.benchmarks.AggregateSizes}.
 */
public final class AggregateSizes {
    private AggregateSizes() {}

    public static void main(String[] args) {
        List<Prediction> preds = new ArrayList<>();
        List<GroundTruth> labels = new ArrayList<>();
        Simulator.of(Scenario.builtIn("default"), 3L, LocalDate.of(2026, 1, 1), 400)
                .limit(40000)
                .forEach(e -> {
                    if (e.type() == SimEvent.Type.PREDICTION) preds.add((Prediction) e.value());
                    else labels.add((GroundTruth) e.value());
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
            System.out.printf(
                    "%6d predictions/slice-day (%d labels): drift %,d B, estimation %,d B, performance %,d B%n",
                    n,
                    labelled,
                    DriftAggregate.CODEC.toBytes(d).length,
                    EstimationAggregate.CODEC.toBytes(est).length,
                    OutcomeAggregate.CODEC.toBytes(o).length);
            heap("as built", o);
            heap("decoded", OutcomeAggregate.CODEC.fromBytes(OutcomeAggregate.CODEC.toBytes(o)));
        }
        // A daily bucket is the merge of many partials (here of 100 labels each): all labels of the input.
        OutcomeAggregate day = OutcomeAggregate.CODEC.empty();
        OutcomeAggregate partial = OutcomeAggregate.CODEC.empty();
        int labelled = 0;
        for (GroundTruth gt : labels) {
            Prediction p = byId.get(gt.predictionId());
            if (p == null) continue;
            partial.apply(new OutcomeChange(List.of("g"), p.score(), p.threshold(), 1, gt.label(), 1, 3600));
            if (++labelled % 100 == 0) {
                day.merge(partial);
                partial = OutcomeAggregate.CODEC.empty();
            }
        }
        day.merge(partial);
        System.out.printf(
                "%6s merged from partials of 100 (%d labels): performance %,d B%n",
                "", labelled, OutcomeAggregate.CODEC.toBytes(day).length);
        heap("merged", day);
    }

    private static void heap(String what, OutcomeAggregate o) {
        LogisticRecalibration r = o.stats().recalibration();
        long bins = GraphLayout.parseInstance(r).totalSize();
        System.out.printf(
                "%8s%-9s retained heap: performance aggregate %,d B, of which logit bins %,d B"
                        + " (%,d occupied, %.1f B per bin)%n",
                "",
                what,
                GraphLayout.parseInstance(o).totalSize(),
                bins,
                r.occupiedBins(),
                (double) bins / Math.max(1, r.occupiedBins()));
    }
}
