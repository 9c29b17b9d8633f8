package io.vigil.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The samples of one metric in a Prometheus text-format page ({@code /metrics}), for the commands
 * that read Vigil from outside ({@code vigil bench}, {@code vigil soak}). Pure.
 */
final class MetricsPage {
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private MetricsPage() {}

    /** One sample: its labels (values still escaped as in the page) and value. */
    record Sample(Map<String, String> labels, double value) {}

    /** Every sample of {@code name} in the page, in page order; empty when there is none. */
    static List<Sample> samples(String page, String name) {
        List<Sample> out = new ArrayList<>();
        for (String line : page.split("\n")) {
            if (!line.startsWith(name)) {
                continue;
            }
            Map<String, String> labels = new LinkedHashMap<>();
            String rest;
            if (line.startsWith(name + "{")) {
                int close = line.lastIndexOf('}');
                Matcher m = LABEL.matcher(line.substring(name.length() + 1, close));
                while (m.find()) {
                    labels.put(m.group(1), m.group(2));
                }
                rest = line.substring(close + 1);
            } else if (line.startsWith(name + " ")) {
                rest = line.substring(name.length());
            } else {
                continue; // another metric whose name starts with this one
            }
            out.add(new Sample(labels, Double.parseDouble(rest.strip().split(" ")[0])));
        }
        return out;
    }
}
