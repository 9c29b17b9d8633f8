package io.vigil.config;

import java.util.Collection;
import java.util.Optional;

/**
 * The known name a mistyped one was most likely meant to be, for error messages ("did you mean ...?"):
 * the one at the smallest edit distance (Levenshtein: insertions, deletions, substitutions), if that
 * distance is at most 2 and less than half the given name's length. Ties go to the first in iteration order.
 */
public final class NearestName {
    private NearestName() {}

    /** The nearest known name, or empty when none is close enough. */
    public static Optional<String> of(String given, Collection<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(given, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best != null && bestDistance > 0 && bestDistance <= 2 && 2 * bestDistance < given.length()
                ? Optional.of(best)
                : Optional.empty();
    }

    /** Levenshtein distance between two strings (by UTF-16 unit; names here are ASCII). */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }
}
