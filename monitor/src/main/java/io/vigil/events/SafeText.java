package io.vigil.events;

/**
 * Text from a producer made safe to leave Vigil as a label value, a JSON string, a log argument or a
 * page's text: every control character (C0, DEL, C1), format character (bidirectional overrides such as
 * U+202E, zero-width joiners) and unpaired surrogate becomes U+FFFD, and the result is at most
 * {@value #MAX_CODE_POINTS} code points (longer text keeps its first 127 and ends with "…"). The result
 * is valid Unicode, so valid UTF-8. Quotes, backslashes and markup stay: every output escapes them in
 * its own syntax (Prometheus text format, JSON, HTML text nodes). Idempotent.
 */
public final class SafeText {
    /** Longest text kept, in code points. */
    public static final int MAX_CODE_POINTS = 128;

    private static final int REPLACEMENT = 0xFFFD;

    private SafeText() {}

    /** {@code text} made safe; null stays null. */
    public static String of(String text) {
        if (text == null || isSafe(text)) {
            return text;
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), 2 * MAX_CODE_POINTS));
        int count = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (count == MAX_CODE_POINTS - 1 && i < text.length()) {
                out.append('…');
                break;
            }
            out.appendCodePoint(unsafe(cp) ? REPLACEMENT : cp);
            count++;
        }
        return out.toString();
    }

    /** Whether {@link #of} would return the text unchanged (the common case: no copy). */
    static boolean isSafe(String text) {
        if (text.length() > MAX_CODE_POINTS && text.codePointCount(0, text.length()) > MAX_CODE_POINTS) {
            return false;
        }
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            if (unsafe(cp)) {
                return false;
            }
            i += Character.charCount(cp);
        }
        return true;
    }

    private static boolean unsafe(int cp) {
        int type = Character.getType(cp);
        return type == Character.CONTROL
                || type == Character.FORMAT
                || type == Character.SURROGATE
                || type == Character.UNASSIGNED && (cp == 0xFFFE || cp == 0xFFFF)
                || cp == 0x2028
                || cp == 0x2029;
    }
}
