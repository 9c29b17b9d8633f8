package io.vigil.alerts;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * One webhook receiver: a name (used in metrics, logs and the consumer group {@code
 * <application.id>-webhook-<name>}), its URL, the signing keys (several during rotation: every
 * request carries one signature per key) and the body format. {@link #toString()} shows neither the
 * keys nor the URL (it may carry a token).
 */
public record WebhookEndpoint(String name, URI url, List<WebhookSignature> keys, Format format) {

    /** Body format. */
    public enum Format {
        /** The alert itself, per schemas/alert.schema.json. */
        VIGIL,
        /** Alertmanager's webhook body, version 4, holding the one alert. */
        ALERTMANAGER
    }

    public WebhookEndpoint {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(url, "url");
        keys = List.copyOf(keys);
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("webhook " + name + " needs at least one signing key");
        }
        Objects.requireNonNull(format, "format");
    }

    @Override
    public String toString() {
        return "WebhookEndpoint[" + name + ", format=" + format + ", keys=" + keys.size() + "]";
    }
}
