package io.vigil.adapters.fhir;

import io.vigil.events.Reason;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueSeverity;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;

/**
 * The OperationOutcomes the FHIR adapter answers with, built with HAPI's model. Diagnostics hold a {@link
 * Reason} (an element name and a rule) or a fixed sentence, never a value of the resource received.
 */
final class FhirOutcomes {
    private FhirOutcomes() {}

    /** One issue of {@code severity} and {@code type}. */
    static OperationOutcome of(IssueSeverity severity, IssueType type, String diagnostics) {
        OperationOutcome outcome = new OperationOutcome();
        add(outcome, severity, type, diagnostics, null);
        return outcome;
    }

    /** An error issue for {@code reason}, its path as the issue's expression, prefixed with {@code at}. */
    static void add(OperationOutcome outcome, String at, Reason reason) {
        String path = reason.path();
        String expression = at.isEmpty() ? path : path.isEmpty() ? at : at + "." + path;
        add(outcome, IssueSeverity.ERROR, type(reason), (at.isEmpty() ? "" : at + ": ") + reason, expression);
    }

    /** An issue saying why a resource that is not ground truth yet was not taken. */
    static void addIgnored(OperationOutcome outcome, String at, String why) {
        add(outcome, IssueSeverity.ERROR, IssueType.BUSINESSRULE, (at.isEmpty() ? "" : at + ": ") + why, at);
    }

    static void add(
            OperationOutcome outcome, IssueSeverity severity, IssueType type, String diagnostics, String expression) {
        OperationOutcome.OperationOutcomeIssueComponent issue =
                outcome.addIssue().setSeverity(severity).setCode(type).setDiagnostics(diagnostics);
        if (expression != null && !expression.isEmpty()) {
            issue.addExpression(expression);
        }
    }

    /** The FHIR issue type closest to a {@link Reason} code. */
    static IssueType type(Reason reason) {
        return switch (reason.code()) {
            case Reason.MISSING_FIELD -> IssueType.REQUIRED;
            case Reason.UNKNOWN_ENUM -> IssueType.CODEINVALID;
            case Reason.BAD_TIMESTAMP, Reason.WRONG_TYPE, Reason.OUT_OF_RANGE -> IssueType.VALUE;
            case Reason.NOT_JSON -> IssueType.STRUCTURE;
            case Reason.OVERSIZED -> IssueType.TOOLONG;
            default -> IssueType.INVALID;
        };
    }
}
