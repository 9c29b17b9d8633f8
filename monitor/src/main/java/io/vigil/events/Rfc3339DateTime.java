package io.vigil.events;

import com.networknt.schema.ExecutionContext;
import com.networknt.schema.Format;
import java.time.YearMonth;

/**
 * The JSON Schema {@code date-time} format as the contracts use it: RFC 3339
 * {@code YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)} with upper-case {@code T} and {@code Z},
 * at most 9 fraction digits, offsets up to +/-18:00 and no leap second (so that every accepted
 * string is a {@link java.time.Instant}).
 *
 * <p>Replaces networknt's own date-time format, which logs the rejected string at DEBUG level:
 * timestamps are data, and rejected data must not reach logs.
 */
final class Rfc3339DateTime implements Format {

    /** java.time offsets stop at +/-18:00. */
    private static final int MAX_OFFSET_MINUTES = 18 * 60;

    @Override
    public String getName() {
        return "date-time";
    }

    @Override
    public String getMessageKey() {
        return "format.date-time";
    }

    @Override
    public boolean matches(ExecutionContext executionContext, String value) {
        return isValid(value);
    }

    /** True iff {@code s} is an RFC 3339 date-time in the restricted form above. */
    static boolean isValid(String s) {
        int n = s.length();
        if (n < 20 || n > 45) {
            return false;
        }
        if (!digits(s, 0, 4)
                || s.charAt(4) != '-'
                || !digits(s, 5, 7)
                || s.charAt(7) != '-'
                || !digits(s, 8, 10)
                || s.charAt(10) != 'T'
                || !digits(s, 11, 13)
                || s.charAt(13) != ':'
                || !digits(s, 14, 16)
                || s.charAt(16) != ':'
                || !digits(s, 17, 19)) {
            return false;
        }
        int year = number(s, 0, 4);
        int month = number(s, 5, 7);
        int day = number(s, 8, 10);
        if (year < 1
                || month < 1
                || month > 12
                || day < 1
                || day > YearMonth.of(year, month).lengthOfMonth()) {
            return false;
        }
        if (number(s, 11, 13) > 23 || number(s, 14, 16) > 59 || number(s, 17, 19) > 59) {
            return false;
        }
        int i = 19;
        if (s.charAt(i) == '.') {
            int start = ++i;
            while (i < n && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) {
                i++;
            }
            if (i == start || i - start > 9) {
                return false;
            }
        }
        if (i == n - 1) {
            return s.charAt(i) == 'Z';
        }
        if (i != n - 6) {
            return false;
        }
        char sign = s.charAt(i);
        return (sign == '+' || sign == '-')
                && digits(s, i + 1, i + 3)
                && s.charAt(i + 3) == ':'
                && digits(s, i + 4, i + 6)
                && number(s, i + 4, i + 6) <= 59
                && number(s, i + 1, i + 3) * 60 + number(s, i + 4, i + 6) <= MAX_OFFSET_MINUTES;
    }

    private static boolean digits(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static int number(String s, int from, int to) {
        int v = 0;
        for (int i = from; i < to; i++) {
            v = v * 10 + (s.charAt(i) - '0');
        }
        return v;
    }
}
