package io.vigil.doctor;

/**
 * One line of the doctor's checklist: what was checked, how it went, one sentence on what was found, and
 * what to do when it failed.
 */
public record Check(String name, Status status, String detail, String remedy) {
    public enum Status {
        PASS,
        WARN,
        FAIL,
        SKIP
    }

    static Check pass(String name, String detail) {
        return new Check(name, Status.PASS, detail, "");
    }

    static Check warn(String name, String detail, String remedy) {
        return new Check(name, Status.WARN, detail, remedy);
    }

    static Check fail(String name, String detail, String remedy) {
        return new Check(name, Status.FAIL, detail, remedy);
    }

    static Check skip(String name, String detail) {
        return new Check(name, Status.SKIP, detail, "");
    }

    /** The checklist line: status, name, detail, and the remedy on the next line when there is one. */
    public String line() {
        String head = String.format("%-4s %s: %s", status, name, detail);
        return remedy.isEmpty() ? head : head + System.lineSeparator() + "     fix: " + remedy;
    }
}
