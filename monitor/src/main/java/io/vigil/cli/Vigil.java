package io.vigil.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The one CLI: {@code vigil run | validate | ...}. Exit codes: 0 success, 1 failure, 2 usage. */
@Command(
        name = "vigil",
        mixinStandardHelpOptions = true,
        versionProvider = Vigil.Version.class,
        description = "Streaming post-deployment monitor for clinical AI models.",
        subcommands = {
            RunCommand.class,
            DemoCommand.class,
            ValidateCommand.class,
            SimulateCommand.class,
            ReferenceCommand.class,
            BenchCommand.class,
            VerifyStatisticsCommand.class,
            SoakCommand.class,
            IngestCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Vigil implements Runnable {

    public static void main(String[] args) {
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
