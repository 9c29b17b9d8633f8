package io.vigil.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * The acquisition device, by alias. {@code id} is a site-assigned alias (never the DICOM
 * DeviceSerialNumber); manufacturer, model and software version mirror DICOM tags (0008,0070),
 * (0008,1090) and (0018,1020).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Scanner(
        String id,
        String manufacturer,
        String model,
        @JsonProperty("software_version") String softwareVersion,
        String modality,
        @JsonProperty("body_part") String bodyPart) {
    public Scanner {
        Objects.requireNonNull(id, "scanner.id");
        Objects.requireNonNull(manufacturer, "scanner.manufacturer");
        Objects.requireNonNull(model, "scanner.model");
        Objects.requireNonNull(softwareVersion, "scanner.software_version");
    }
}
