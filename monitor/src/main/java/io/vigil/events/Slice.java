package io.vigil.events;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One slice a prediction belongs to: a dimension ({@code all}, {@code site}, {@code scanner},
 * {@code scanner_model}, {@code software}, {@code sex}, {@code age_band}, {@code attr.<name>})
 * and its value. Values are bounded per dimension; overflow is {@link #OTHER}.
 */
public record Slice(String dimension, String value) {
    public static final String OTHER = "other";
    public static final Slice ALL = new Slice("all", "all");

    /** Both parts become label values and page text: made safe here, once ({@link SafeText}). */
    public Slice {
        dimension = SafeText.of(Objects.requireNonNull(dimension, "dimension"));
        value = SafeText.of(Objects.requireNonNull(value, "value"));
    }

    /** The uncapped slices of one prediction, {@code all} first. Pure. */
    public static List<Slice> candidates(Prediction p, List<String> attributes) {
        List<Slice> out = new ArrayList<>(8 + attributes.size());
        out.add(Slice.ALL);
        out.add(new Slice("site", p.site()));
        out.add(new Slice("scanner", p.site() + "/" + p.scanner().id()));
        String model = p.scanner().manufacturer() + " " + p.scanner().model();
        out.add(new Slice("scanner_model", model));
        out.add(new Slice("software", model + " " + p.scanner().softwareVersion()));
        if (p.demographics() != null) {
            if (p.demographics().sex() != null) {
                out.add(new Slice("sex", p.demographics().sex()));
            }
            if (p.demographics().ageBand() != null) {
                out.add(new Slice("age_band", p.demographics().ageBand()));
            }
        }
        for (String name : attributes) {
            String v = p.attributes().get(name);
            if (v != null) {
                out.add(new Slice("attr." + name, v));
            }
        }
        return out;
    }

    /** Every slice dimension a prediction can have with these configured attributes, {@code all} excepted. */
    public static List<String> dimensions(List<String> attributes) {
        List<String> out = new ArrayList<>(List.of("site", "scanner", "scanner_model", "software", "sex", "age_band"));
        attributes.forEach(a -> out.add("attr." + a));
        return out;
    }

    @Override
    public String toString() {
        return dimension + "=" + value;
    }
}
