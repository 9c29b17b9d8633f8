package io.vigil.adapters.hl7;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * ORU^R01 test messages in ER7 (pipe) encoding, built field by field. The default is a final CT result for
 * accession {@code ACC-0001} with a positive SNOMED CT finding, reported 2026-11-19 14:02 (no offset).
 */
public final class OruMessages {
    private final Map<Integer, String> msh = new TreeMap<>();
    private final Map<Integer, String> obr = new TreeMap<>();
    private final List<Map<Integer, String>> obx = new ArrayList<>();

    private OruMessages() {
        msh.put(3, "RIS");
        msh.put(4, "GENERAL HOSPITAL");
        msh.put(5, "VIGIL");
        msh.put(6, "VIGIL");
        msh.put(7, "20261119140500");
        msh.put(9, "ORU^R01^ORU_R01");
        msh.put(10, "MSG00001");
        msh.put(11, "P");
        msh.put(12, "2.5.1");
        obr.put(1, "1");
        obr.put(2, "PLC-0001");
        obr.put(3, "ACC-0001");
        obr.put(4, "CTCHEST^CT chest^L");
        obr.put(7, "20261118090000");
        obr.put(22, "20261119140200");
        obr.put(24, "RAD");
        obr.put(25, "F");
        obx.add(new TreeMap<>(Map.of(
                1,
                "1",
                2,
                "CWE",
                3,
                "FINDING^AI-relevant finding^L",
                5,
                "10828004^Positive^SCT",
                11,
                "F",
                14,
                "20261119140000")));
    }

    /** The default message (see the class comment). */
    public static OruMessages finalPositive() {
        return new OruMessages();
    }

    public OruMessages msh(int field, String value) {
        msh.put(field, value);
        return this;
    }

    public OruMessages obr(int field, String value) {
        obr.put(field, value);
        return this;
    }

    /** Sets a field of the last OBX. */
    public OruMessages obx(int field, String value) {
        obx.getLast().put(field, value);
        return this;
    }

    /** Appends an OBX with set id, value type ST and the given identifier and value. */
    public OruMessages addObx(String identifier, String type, String value) {
        obx.add(new TreeMap<>(Map.of(1, Integer.toString(obx.size() + 1), 2, type, 3, identifier, 5, value, 11, "F")));
        return this;
    }

    /** A corrected result (status C in OBR-25 and OBX-11) reported at {@code reportedAt} (OBR-22). */
    public OruMessages corrected(String reportedAt) {
        obr(25, "C");
        obr(22, reportedAt);
        return obx(11, "C");
    }

    /** The message, segments separated by carriage returns. */
    public String build() {
        StringBuilder out = new StringBuilder("MSH|^~\\&");
        for (int f = 3; f <= 12; f++) {
            out.append('|').append(msh.getOrDefault(f, ""));
        }
        out.append("\rPID|1||MRN-998877^^^HOSP^MR||DOE^JANE||19700101|F");
        out.append('\r').append(segment("OBR", obr));
        for (Map<Integer, String> o : obx) {
            out.append('\r').append(segment("OBX", o));
        }
        return out.append('\r').toString();
    }

    private static String segment(String name, Map<Integer, String> fields) {
        StringBuilder out = new StringBuilder(name);
        int last = fields.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
        for (int f = 1; f <= last; f++) {
            out.append('|').append(fields.getOrDefault(f, ""));
        }
        return out.toString();
    }
}
