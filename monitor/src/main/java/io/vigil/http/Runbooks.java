package io.vigil.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Serves the runbooks (the repository's docs/runbooks, packaged as {@code classpath:runbooks/*.md}) at
 * {@code /runbooks/<rule>}: the page an alert's or incident's {@code runbook_url} points to. Names are rule names
 * only ({@code [A-Za-z0-9]+}); anything else, or a rule without a runbook, is 404.
 */
public final class Runbooks {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]{1,64}");

    private Runbooks() {}

    /** The runbook of a rule, or null. */
    static String of(String rule) throws IOException {
        if (rule == null || !NAME.matcher(rule).matches()) {
            return null;
        }
        try (InputStream in = Runbooks.class.getClassLoader().getResourceAsStream("runbooks/" + rule + ".md")) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    public static void serve(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String name = path.substring("/runbooks/".length());
        if (name.isEmpty()) {
            name = "README";
        }
        if (name.endsWith(".md")) {
            name = name.substring(0, name.length() - 3);
        }
        String body = of(name);
        if (body == null) {
            HttpServerRunner.respond(
                    exchange,
                    404,
                    "text/plain; charset=utf-8",
                    "no runbook named " + (NAME.matcher(name).matches() ? name : "(invalid name)") + "\n");
            return;
        }
        // Plain text: every browser shows it (text/markdown is often downloaded instead).
        HttpServerRunner.respond(exchange, 200, "text/plain; charset=utf-8", body);
    }
}
