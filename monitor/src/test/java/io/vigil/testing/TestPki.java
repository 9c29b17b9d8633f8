package io.vigil.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway certificate authority and PKCS12 keystores made at test time with the JDK's
 * {@code keytool} (EC P-256 keys, valid for 2 days), so no key material is ever committed. Every store
 * gets a fresh random password, which tests can then look for in logs.
 */
public final class TestPki {
    private final Path dir;
    private final String name;
    private final Path caStore;
    private final String caPassword = secret();
    private final Path caCert;

    /** A PKCS12 store and its password (which is also the key password). */
    public record Store(Path path, String password) {}

    private TestPki(Path dir, String name) {
        this.dir = dir;
        this.name = name;
        this.caStore = dir.resolve(name + "-ca.p12");
        this.caCert = dir.resolve(name + "-ca.pem");
    }

    /**
     * Creates a CA whose files live in {@code dir}.
     *
     * @param name distinguishes this CA's files and subject from another CA's in the same directory
     */
    public static TestPki createCa(Path dir, String name) {
        TestPki pki = new TestPki(dir, name);
        keytool(
                "-genkeypair",
                "-alias",
                "ca",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=Vigil test CA " + name,
                "-ext",
                "bc:c",
                "-validity",
                "2",
                "-keystore",
                pki.caStore.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                pki.caPassword,
                "-keypass",
                pki.caPassword);
        keytool(
                "-exportcert",
                "-rfc",
                "-alias",
                "ca",
                "-keystore",
                pki.caStore.toString(),
                "-storepass",
                pki.caPassword,
                "-file",
                pki.caCert.toString());
        return pki;
    }

    /** A truststore holding only this CA's certificate. */
    public Store truststore() {
        Store store = new Store(dir.resolve(name + "-truststore.p12"), secret());
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                "ca",
                "-file",
                caCert.toString(),
                "-keystore",
                store.path().toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                store.password());
        return store;
    }

    /**
     * A keystore with a new key and a certificate for it signed by this CA, usable by a TLS server on
     * 127.0.0.1 and by a TLS client (subject alternative names 127.0.0.1 and localhost).
     *
     * @param subject the certificate's common name, also the file name
     */
    public Store keystore(String subject) {
        Store store = new Store(dir.resolve(subject + ".p12"), secret());
        String path = store.path().toString();
        Path csr = dir.resolve(subject + ".csr");
        Path cert = dir.resolve(subject + ".pem");
        keytool(
                "-genkeypair",
                "-alias",
                subject,
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=" + subject,
                "-validity",
                "2",
                "-keystore",
                path,
                "-storetype",
                "PKCS12",
                "-storepass",
                store.password(),
                "-keypass",
                store.password());
        keytool(
                "-certreq",
                "-alias",
                subject,
                "-keystore",
                path,
                "-storepass",
                store.password(),
                "-file",
                csr.toString());
        keytool(
                "-gencert",
                "-rfc",
                "-alias",
                "ca",
                "-keystore",
                caStore.toString(),
                "-storepass",
                caPassword,
                "-infile",
                csr.toString(),
                "-outfile",
                cert.toString(),
                "-validity",
                "2",
                "-ext",
                "SAN=ip:127.0.0.1,dns:localhost",
                "-ext",
                "KU=digitalSignature",
                "-ext",
                "EKU=serverAuth,clientAuth");
        // The CA first, so keytool can build the chain when the signed certificate replaces the self-signed one.
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                "ca",
                "-file",
                caCert.toString(),
                "-keystore",
                path,
                "-storepass",
                store.password());
        keytool(
                "-importcert",
                "-alias",
                subject,
                "-file",
                cert.toString(),
                "-keystore",
                path,
                "-storepass",
                store.password());
        return store;
    }

    private static String secret() {
        return "pw-" + UUID.randomUUID().toString().replace("-", "");
    }

    private static void keytool(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.add("-J-XX:TieredStopAtLevel=1");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("keytool " + args[0] + " did not finish within 60 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("keytool " + args[0] + " exited " + p.exitValue() + ": " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run keytool", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running keytool", e);
        }
    }
}
