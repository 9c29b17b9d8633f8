package io.vigil.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SafeTextTest {

    @Test
    void shouldReplaceEveryControlAndFormatCharacterButKeepQuotesBackslashesAndMarkup() {
        String hostile =
                "q\"b\\n\nbel\u0007nul\u0000cr\rdel\u007Fc1\u0085rtl\u202Ezw\u200D<img src=x onerror=alert(1)>";

        String safe = SafeText.of(hostile);

        assertThat(safe)
                .isEqualTo("q\"b\\n\uFFFDbel\uFFFDnul\uFFFDcr\uFFFDdel\uFFFDc1\uFFFDrtl\uFFFDzw\uFFFD"
                        + "<img src=x onerror=alert(1)>");
        assertThat(safe.codePoints())
                .noneMatch(cp -> Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT);
    }

    @Test
    void shouldReplaceUnpairedSurrogatesSoThatTheResultIsValidUtf8() {
        String broken = "a\uD800b\uDC00c\uD83D\uDE00";

        String safe = SafeText.of(broken);

        assertThat(safe).isEqualTo("a\uFFFDb\uFFFDc\uD83D\uDE00");
        byte[] utf8 = safe.getBytes(StandardCharsets.UTF_8);
        assertThat(new String(utf8, StandardCharsets.UTF_8)).isEqualTo(safe);
    }

    @Test
    void shouldCapAt128CodePointsCountingAstralCharactersOnce() {
        String longAscii = "x".repeat(300);
        String emoji = "\uD83D\uDE00".repeat(200);

        assertThat(SafeText.of(longAscii)).hasSize(128).endsWith("x…");
        assertThat(SafeText.of(longAscii).codePointCount(0, 128)).isEqualTo(128);
        assertThat(SafeText.of(emoji).codePointCount(0, SafeText.of(emoji).length()))
                .isEqualTo(128);
        assertThat(SafeText.of("y".repeat(128))).isEqualTo("y".repeat(128));
    }

    @Test
    void shouldLeaveSafeTextAloneAndBeIdempotent() {
        String plain = "S01/CT-07 Sièmens Ω 5.1";
        assertThat(SafeText.of(plain)).isSameAs(plain);
        String once = SafeText.of("a\u0000" + "z".repeat(200));
        assertThat(SafeText.of(once)).isEqualTo(once);
        assertThat(SafeText.of(null)).isNull();
    }

    @Test
    void shouldMakeSlicesAndModelRefsSafeWhereTheyAreBuilt() {
        assertThat(new Slice("scanner", "S01/\u0007CT").value()).isEqualTo("S01/\uFFFDCT");
        assertThat(new ModelRef("m\u202E", "1\n").id()).isEqualTo("m\uFFFD");
        assertThat(new ModelRef("m", "1\n").version()).isEqualTo("1\uFFFD");
    }
}
