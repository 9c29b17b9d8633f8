package io.vigil.alerts;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * One webhook receiver: a name (used in metrics, logs and the consumer group {@code
 * <application.id>-webhook-<name>}), its URL, the signing keys (several during rotation: every
 * request carries one signature per key) and the body format. {@link #toString()} shows neither the
 * keys nor the URL (it may carry a token). {@code events}: alert transitions (the default) or incident
 * transitions.
 */
public record WebhookEndpoint(String name, URI url, List<WebhookSignature> keys, Format format, Events events) {

    /** An endpoint of alert transitions. */
    public WebhookEndpoint(String name, URI url, List<WebhookSignature> keys, Format format) {
        this(name, url, keys, format, Events.ALERTS);
    }

    /** What an endpoint receives. */
    public enum Events {
        /** Every alert transition (firing, resolved), from the alerts topic. */
        ALERTS,
        /** Every incident transition but member-only updates, from the incidents topic. */
        INCIDENTS;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

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
        Objects.requireNonNull(events, "events");
    }

    @Override
    public String toString() {
        return "WebhookEndpoint[" + name + ", format=" + format + ", events=" + events.label() + ", keys=" + keys.size()
                + "]";
    }
}
