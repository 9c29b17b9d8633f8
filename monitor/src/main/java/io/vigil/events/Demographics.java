package io.vigil.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** Coarse demographics for subgroup analysis: {@code sex} (F, M, O, U) and an age band such as {@code 40-49}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Demographics(
        String sex, @JsonProperty("age_band") String ageBand) {}
