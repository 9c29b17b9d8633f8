package io.vigil.cli;

import io.vigil.config.VigilConfig;
import io.vigil.doctor.Check;
import io.vigil.doctor.Doctor;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code vigil doctor}: a preflight checklist with the same settings as {@code vigil run}. Exit 0 when
 * nothing failed, 1 when a check failed, 2 when the settings themselves are invalid.
 */
@Command(
        name = "doctor",
        mixinStandardHelpOptions = true,
        versionProvider = Vigil.Version.class,
        description = "Check Kafka, topics, ACLs, recent input, the state directory, webhooks and the HTTP port"
                + " before vigil run, with a fix for each failure (settings as for vigil run).")
final class DoctorCommand implements Callable<Integer> {
    @Mixin
    SettingsOptions settings = new SettingsOptions();

    @Override
    public Integer call() {
        VigilConfig config;
        try {
            config = settings.load();
        } catch (ConfigException e) {
            System.out.println("FAIL settings: " + e.getMessage());
            return 2;
        }
        // The checklist is the output: the Kafka clients' own reconnect warnings would bury it.
        if (LoggerFactory.getLogger("org.apache.kafka") instanceof ch.qos.logback.classic.Logger kafka) {
            kafka.setLevel(ch.qos.logback.classic.Level.ERROR);
        }
        List<Check> checks = new Doctor(config).run();
        checks.forEach(c -> System.out.println(c.line()));
        long failed =
                checks.stream().filter(c -> c.status() == Check.Status.FAIL).count();
        long warned =
                checks.stream().filter(c -> c.status() == Check.Status.WARN).count();
        System.out.println(
                failed == 0
                        ? "OK: nothing failed" + (warned == 0 ? "" : " (" + warned + " warning(s))")
                        : "FAILED: " + failed + " check(s); fix them before vigil run");
        return failed == 0 ? 0 : 1;
    }
}
