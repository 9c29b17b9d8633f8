package io.vigil.adapters.dicom;

import static io.vigil.adapters.dicom.DicomJson.string;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.adapters.dicom.DicomJson.Code;
import io.vigil.events.ModelRef;
import io.vigil.events.Prediction;
import io.vigil.events.Scanner;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AI results as DICOM Structured Reports (DICOM JSON, what DICOMweb returns) turned into prediction events.
 *
 * <p>Input is one dataset or an array of datasets, e.g. a study's metadata from DICOMweb: every SR
 * instance (Modality SR) is one result. The acquisition device comes from an image instance of the same
 * study when one is in the input (Manufacturer (0008,0070), ManufacturerModelName (0008,1090),
 * SoftwareVersions (0018,1020), Modality, BodyPartExamined), else from the SR itself, whose equipment may
 * be the AI system's rather than the scanner's (docs/adapters.md). The device serial (0018,1000), the
 * patient id and the study UID become keyed HMAC aliases; their raw values never leave this class.
 *
 * <p>Each result is accepted with its prediction or rejected with a reason that names the missing or
 * invalid attribute, never a value.
 */
public final class DicomSrPredictions {
    private static final HexFormat HEX = HexFormat.of();
    private static final DateTimeFormatter DATE = DateTimeFormatter.BASIC_ISO_DATE;

    private final DicomSrMapping mapping;
    private final List<Code> scoreCodes;
    private final Code algorithmName;
    private final Code algorithmVersion;
    private final byte[] aliasSecret;

    /**
     * @param aliasSecret the secret of the HMAC aliases (device, patient, study); at least 16 bytes, the same
     *     on every adapter instance of a site so that one device keeps one alias
     */
    public DicomSrPredictions(DicomSrMapping mapping, String aliasSecret) {
        if (aliasSecret == null || aliasSecret.getBytes(StandardCharsets.UTF_8).length < 16) {
            throw new IllegalArgumentException("the alias secret must be at least 16 bytes");
        }
        this.mapping = mapping;
        this.scoreCodes = mapping.scoreCodes();
        this.algorithmName = Code.parse(mapping.algorithmName());
        this.algorithmVersion = Code.parse(mapping.algorithmVersion());
        this.aliasSecret = aliasSecret.getBytes(StandardCharsets.UTF_8);
    }

    /** A result: the prediction, or why there is none (a reason that names no value). */
    public record Mapped(Prediction prediction, String reason) {
        public boolean accepted() {
            return prediction != null;
        }
    }

    /** Every SR in {@code input} (a dataset or an array of datasets), in order. */
    public List<Mapped> map(JsonNode input) {
        List<JsonNode> datasets = new ArrayList<>();
        if (input.isArray()) {
            input.forEach(d -> {
                if (d.isObject()) {
                    datasets.add(d);
                }
            });
        } else if (input.isObject()) {
            datasets.add(input);
        }
        List<Mapped> out = new ArrayList<>();
        for (JsonNode d : datasets) {
            if ("SR".equals(string(d, DicomJson.MODALITY))) {
                out.add(mapOne(d, sourceImage(datasets, string(d, DicomJson.STUDY_INSTANCE_UID))));
            }
        }
        if (out.isEmpty()) {
            out.add(new Mapped(null, "no SR instance (Modality (0008,0060) = SR) in the input"));
        }
        return out;
    }

    private static JsonNode sourceImage(List<JsonNode> datasets, String studyUid) {
        for (JsonNode d : datasets) {
            String modality = string(d, DicomJson.MODALITY);
            if (modality != null
                    && !modality.equals("SR")
                    && studyUid != null
                    && studyUid.equals(string(d, DicomJson.STUDY_INSTANCE_UID))) {
                return d;
            }
        }
        return null;
    }

    private Mapped mapOne(JsonNode sr, JsonNode image) {
        String id = mapping.predictionId().equals("accession")
                ? string(sr, DicomJson.ACCESSION_NUMBER)
                : string(sr, DicomJson.SOP_INSTANCE_UID);
        if (id == null) {
            return rejected(
                    mapping.predictionId().equals("accession")
                            ? "missing AccessionNumber (0008,0050)"
                            : "missing SOPInstanceUID (0008,0018)");
        }
        if (id.length() > 128) {
            return rejected("prediction id longer than 128 characters");
        }
        Found found = new Found();
        walk(DicomJson.items(sr, DicomJson.CONTENT_SEQUENCE), found);
        if (found.score == null) {
            return rejected("no NUM content item with a score concept " + scoreCodes);
        }
        if (!(found.score >= 0 && found.score <= 1)) {
            return rejected("score outside [0, 1] after its unit");
        }
        if (found.model == null || found.version == null) {
            return rejected("no algorithm name " + algorithmName + " and version " + algorithmVersion
                    + " TEXT items (TID 4019)");
        }
        OffsetDateTime at = contentTime(sr);
        if (at == null) {
            return rejected("missing or invalid ContentDate (0008,0023) / ContentTime (0008,0033)");
        }
        String institution = string(sr, DicomJson.INSTITUTION_NAME);
        String site = institution == null ? null : mapping.sites().get(institution);
        site = site == null ? mapping.site() : site;
        if (site == null) {
            return rejected("InstitutionName (0008,0080) not in the mapping's sites and no default site");
        }
        JsonNode device = image != null ? image : sr;
        String serial = string(device, DicomJson.DEVICE_SERIAL_NUMBER);
        String manufacturer = string(device, DicomJson.MANUFACTURER);
        String model = string(device, DicomJson.MANUFACTURER_MODEL_NAME);
        String software = string(device, DicomJson.SOFTWARE_VERSIONS);
        if (serial == null || manufacturer == null || model == null || software == null) {
            return rejected("missing DeviceSerialNumber (0018,1000), Manufacturer (0008,0070), "
                    + "ManufacturerModelName (0008,1090) or SoftwareVersions (0018,1020)");
        }
        Scanner scanner = new Scanner(
                "dev-" + alias(serial, 12),
                cap(manufacturer),
                cap(model),
                cap(software),
                image == null ? null : cap(string(image, DicomJson.MODALITY)),
                image == null ? null : cap(string(image, DicomJson.BODY_PART_EXAMINED)));
        String patient = string(sr, DicomJson.PATIENT_ID);
        String study = string(sr, DicomJson.STUDY_INSTANCE_UID);
        double threshold = mapping.thresholdOf(found.model);
        Prediction p = new Prediction(
                id,
                at.toInstant(),
                new ModelRef(cap(found.model), cap(found.version)),
                "binary",
                found.score,
                threshold,
                found.score >= threshold ? 1 : 0,
                site,
                scanner,
                patient == null ? null : "sk-" + alias(patient, 16),
                study == null ? null : "st-" + alias(study, 16),
                null,
                null,
                null,
                Map.of(),
                Map.of());
        return new Mapped(p, null);
    }

    private static Mapped rejected(String reason) {
        return new Mapped(null, reason);
    }

    /** What the content tree holds, first found in document order. */
    private static final class Found {
        Double score;
        String model;
        String version;
    }

    private void walk(List<JsonNode> items, Found found) {
        for (JsonNode item : items) {
            Code name = DicomJson.conceptName(item);
            String type = string(item, DicomJson.VALUE_TYPE);
            if (name != null && "NUM".equals(type) && found.score == null && scoreCodes.contains(name)) {
                found.score = score(item);
            } else if (name != null && "TEXT".equals(type)) {
                if (found.model == null && name.equals(algorithmName)) {
                    found.model = string(item, DicomJson.TEXT_VALUE);
                } else if (found.version == null && name.equals(algorithmVersion)) {
                    found.version = string(item, DicomJson.TEXT_VALUE);
                }
            }
            walk(DicomJson.items(item, DicomJson.CONTENT_SEQUENCE), found);
        }
    }

    /** The NUM item's value, divided by 100 when its unit is UCUM {@code %}; NaN when absent. */
    private static double score(JsonNode numItem) {
        List<JsonNode> measured = DicomJson.items(numItem, DicomJson.MEASURED_VALUE_SEQUENCE);
        if (measured.isEmpty()) {
            return Double.NaN;
        }
        double v = DicomJson.number(measured.get(0), DicomJson.NUMERIC_VALUE);
        List<JsonNode> units = DicomJson.items(measured.get(0), DicomJson.MEASUREMENT_UNITS_CODE_SEQUENCE);
        Code unit = units.isEmpty() ? null : Code.of(units.get(0));
        return unit != null && unit.value().equals("%") ? v / 100.0 : v;
    }

    private OffsetDateTime contentTime(JsonNode sr) {
        String date = string(sr, DicomJson.CONTENT_DATE);
        String time = string(sr, DicomJson.CONTENT_TIME);
        if (date == null || time == null) {
            return null;
        }
        try {
            LocalDate d = LocalDate.parse(date, DATE);
            LocalTime t = time(time);
            String tz = string(sr, DicomJson.TIMEZONE_OFFSET);
            ZoneOffset zone = tz == null ? ZoneOffset.of(mapping.timezone()) : ZoneOffset.of(tz);
            return OffsetDateTime.of(d, t, zone);
        } catch (IllegalArgumentException | java.time.DateTimeException e) {
            return null;
        }
    }

    /** DICOM TM: HH, HHMM, HHMMSS or HHMMSS.FFFFFF. */
    private static LocalTime time(String tm) {
        String whole = tm.contains(".") ? tm.substring(0, tm.indexOf('.')) : tm;
        if (whole.length() != 2 && whole.length() != 4 && whole.length() != 6
                || !whole.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("TM");
        }
        int h = Integer.parseInt(whole.substring(0, 2));
        int m = whole.length() >= 4 ? Integer.parseInt(whole.substring(2, 4)) : 0;
        int s = whole.length() == 6 ? Integer.parseInt(whole.substring(4, 6)) : 0;
        int nanos = 0;
        if (tm.contains(".")) {
            String f = tm.substring(tm.indexOf('.') + 1);
            if (f.isEmpty() || f.length() > 6 || !f.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("TM");
            }
            nanos = Integer.parseInt((f + "000000000").substring(0, 9));
        }
        return LocalTime.of(h, m, s, nanos);
    }

    private String alias(String value, int hexChars) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(aliasSecret, "HmacSHA256"));
            return HEX.formatHex(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)))
                    .substring(0, hexChars);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    private static String cap(String s) {
        return s == null || s.length() <= 64 ? s : s.substring(0, 64);
    }
}
