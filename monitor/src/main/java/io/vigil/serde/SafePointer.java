package io.vigil.serde;

import java.util.regex.Pattern;

/**
 * Renders JSON pointers for error messages without leaking data. Property names come from the
 * sender and a broken sender can put patient data in a key, so a segment is shown only when it
 * looks like an identifier ({@code [A-Za-z][A-Za-z0-9_]{0,63}}) or an array index; anything else
 * becomes {@value #REDACTED}.
 */
public final class SafePointer {

    /** Replacement for a path segment that is not shown. */
    public static final String REDACTED = "*";

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}|[0-9]{1,9}");

    private SafePointer() {}

    /** The segment itself when it is identifier-like or an index, otherwise {@value #REDACTED}. */
    public static String segment(String name) {
        return name != null && IDENTIFIER.matcher(name).matches() ? name : REDACTED;
    }

    /**
     * Re-renders an RFC 6901 pointer such as {@code /features/kvp} segment by segment through
     * {@link #segment(String)}; the empty pointer (the whole document) stays empty.
     */
    public static String of(String pointer) {
        if (pointer == null || pointer.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder(pointer.length());
        int start = pointer.charAt(0) == '/' ? 1 : 0;
        for (String raw : pointer.substring(start).split("/", -1)) {
            String name = raw.replace("~1", "/").replace("~0", "~");
            out.append('/').append(segment(name));
        }
        return out.toString();
    }
}
