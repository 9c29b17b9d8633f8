package io.vigil.app;

/** Entry point placeholder; replaced by the picocli command tree. */
public final class Vigil {
    private Vigil() {}

    public static void main(String[] args) {
        // wired in the app package
    }
}
