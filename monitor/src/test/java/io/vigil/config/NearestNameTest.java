package io.vigil.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class NearestNameTest {
    private static final List<String> KNOWN = List.of("bootstrap.servers", "topic.predictions", "label", "score");

    @Test
    void shouldSuggestTheKnownNameOneOrTwoEditsAway() {
        assertThat(NearestName.of("bootstrap.server", KNOWN)).contains("bootstrap.servers");
        assertThat(NearestName.of("topic.predictons", KNOWN)).contains("topic.predictions");
        assertThat(NearestName.of("lable", KNOWN)).contains("label");
        assertThat(NearestName.of("scor", KNOWN)).contains("score");
    }

    @Test
    void shouldSuggestNothingForAnExactNameOrOneTooFarAway() {
        assertThat(NearestName.of("label", KNOWN)).isEmpty();
        assertThat(NearestName.of("lesion_size_mm", KNOWN)).isEmpty();
        assertThat(NearestName.of("ab", KNOWN)).isEmpty();
        assertThat(NearestName.of("labels2x", KNOWN)).isEmpty();
    }

    @Test
    void shouldCountInsertionsDeletionsAndSubstitutions() {
        assertThat(NearestName.distance("kitten", "sitting")).isEqualTo(3);
        assertThat(NearestName.distance("", "abc")).isEqualTo(3);
        assertThat(NearestName.distance("flaw", "lawn")).isEqualTo(2);
        assertThat(NearestName.distance("same", "same")).isZero();
    }
}
