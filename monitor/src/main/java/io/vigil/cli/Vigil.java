package io.vigil.cli;

import io.vigil.config.EnvironmentConfig;
import io.vigil.config.VigilConfig;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

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
            DoctorCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Vigil implements Runnable {
    /** The logback configuration of each log format (classpath resources). */
    static final Map<String, String> LOG_CONFIGURATION = Map.of("text", "logback.xml", "json", "logback-json.xml");

    @Option(
            names = "--log-format",
            scope = ScopeType.INHERIT,
            paramLabel = "text|json",
            description =
                    "Console log format: text (ISO-8601 UTC) or json (one object per line); also VIGIL_LOG_FORMAT.")
    String logFormat;

    public static void main(String[] args) {
        // Chosen before any class logs (logback configures itself on the first logger).
        String format;
        try {
            format = logFormat(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        if (System.getProperty("logback.configurationFile") == null) { // a site's own file wins
            System.setProperty("logback.configurationFile", LOG_CONFIGURATION.get(format));
        }
        System.exit(commandLine().execute(args));
    }

    /**
     * The log format: the last {@code --log-format} option, else {@code VIGIL_LOG_FORMAT}, else {@code text}.
     *
     * @throws IllegalArgumentException naming the value when it is not {@code text} or {@code json}
     */
    static String logFormat(String[] args, Map<String, String> env) {
        String format = env.getOrDefault(EnvironmentConfig.variableFor(VigilConfig.LOG_FORMAT), "text");
        String source = EnvironmentConfig.variableFor(VigilConfig.LOG_FORMAT);
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--log-format") && i + 1 < args.length) {
                format = args[++i];
                source = "--log-format";
            } else if (args[i].startsWith("--log-format=")) {
                format = args[i].substring("--log-format=".length());
                source = "--log-format";
            } else if (args[i].equals("--")) {
                break;
            }
        }
        if (!format.equals("text") && !format.equals("json")) {
            throw new IllegalArgumentException(source + " must be text or json");
        }
        return format;
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
