package io.vigil.config;

import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/** Why a file could not be read, in words for a command's one-sentence error, not an exception class name. */
public final class ReadErrors {
    private ReadErrors() {}

    /** e.g. "no such file", "permission denied", "is a directory", "not UTF-8 text". */
    public static String describe(Throwable e) {
        Throwable cause = e instanceof UncheckedIOException u && u.getCause() != null ? u.getCause() : e;
        if (cause instanceof NoSuchFileException) {
            return "no such file";
        }
        if (cause instanceof AccessDeniedException || cause instanceof SecurityException) {
            return "permission denied";
        }
        if (cause instanceof CharacterCodingException) {
            return "not UTF-8 text";
        }
        String message = cause.getMessage();
        if (cause instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason().toLowerCase(java.util.Locale.ROOT);
        }
        if (message != null && message.toLowerCase(java.util.Locale.ROOT).contains("is a directory")) {
            return "is a directory";
        }
        return message == null || message.isBlank() ? "read failed" : message;
    }
}
