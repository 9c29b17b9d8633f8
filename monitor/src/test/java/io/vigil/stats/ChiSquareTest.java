package io.vigil.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChiSquareTest {

    @Test
    void shouldMatchGoldenStatisticPValueAndDofWhenTableIsGolden() {
        JsonNode g = DriftGolden.drift().get("manufacturer_chi_square");
        ChiSquare.Result<Integer> r = ChiSquare.test(
                DriftGolden.longs(g.get("reference_counts")), DriftGolden.longs(g.get("current_counts")));
        double chi2 = g.get("chi2").asDouble();
        double p = g.get("pvalue").asDouble();

        assertThat(r.statistic()).isCloseTo(chi2, within(1e-9 * chi2));
        assertThat(r.pValue()).isCloseTo(p, within(1e-9 * p));
        assertThat(r.degreesOfFreedom()).isEqualTo(g.get("dof").asInt());
        assertThat(r.newCategories()).isEmpty();
    }

    @Test
    void shouldReportNewCategoryInsteadOfTermWhenReferenceHasNoCount() {
        Map<String, Long> ref = new LinkedHashMap<>();
        ref.put("GE", 700L);
        ref.put("Siemens", 250L);
        ref.put("Philips", 50L);
        Map<String, Long> cur = new LinkedHashMap<>();
        cur.put("GE", 520L);
        cur.put("Siemens", 260L);
        cur.put("Philips", 220L);
        cur.put("Canon", 40L);

        ChiSquare.Result<String> r = ChiSquare.test(ref, cur);

        JsonNode g = DriftGolden.drift().get("manufacturer_chi_square");
        assertThat(r.newCategories()).containsExactly(Map.entry("Canon", 40L));
        assertThat(r.degreesOfFreedom()).isEqualTo(2);
        assertThat(r.statistic())
                .isCloseTo(g.get("chi2").asDouble(), within(1e-9 * g.get("chi2").asDouble()));
    }

    @Test
    void shouldKeepVanishedCategoryAsTermWhenCurrentHasNoCount() {
        // 2 x 2 table (10, 10 | 20, 0): expected (15, 5 | 15, 5) -> X² = 25/15 + 25/5 + 25/15 + 25/5 = 13.333
        ChiSquare.Result<Integer> r = ChiSquare.test(new long[] {10, 10}, new long[] {20, 0});

        assertThat(r.statistic()).isCloseTo(40.0 / 3.0, within(1e-12));
        assertThat(r.degreesOfFreedom()).isEqualTo(1);
    }

    @Test
    void shouldBeEmptyWhenCurrentRowHasNoCounts() {
        ChiSquare.Result<Integer> r = ChiSquare.test(new long[] {5, 5}, new long[] {0, 0});

        assertThat(r.isEmpty()).isTrue();
        assertThat(r.statistic()).isNaN();
    }
}
