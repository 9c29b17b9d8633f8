package io.vigil.app;

import io.vigil.stats.KllSketches;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The one CLI: {@code vigil run | validate | ...}. Exit codes: 0 success, 1 failure, 2 usage. */
@Command(name = "vigil", mixinStandardHelpOptions = true, versionProvider = Vigil.Version.class,
        description = "Streaming post-deployment monitor for clinical AI models.",
        subcommands = {RunCommand.class, DemoCommand.class, ValidateCommand.class, SimulateCommand.class,
                ReferenceCommand.class, BenchCommand.class, VerifyStatisticsCommand.class, SoakCommand.class,
                CommandLine.HelpCommand.class})
public final class Vigil implements Runnable {

    public static void main(String[] args) {
        try {
            // Before any thread starts: a JVM the sketch library cannot run on fails here in one
            // sentence, not later in a stream thread that dies and is replaced forever.
            KllSketches.checkRuntime();
        } catch (IllegalStateException e) {
            System.err.println("Cannot start: " + e.getMessage());
            System.exit(1);
        }
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return new CommandLine(new Vigil());
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    /** Version from the jar manifest; {@code dev} when run from classes. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Vigil.class.getPackage().getImplementationVersion();
            return new String[] {"vigil " + (v == null ? "dev" : v)};
        }
    }
}
