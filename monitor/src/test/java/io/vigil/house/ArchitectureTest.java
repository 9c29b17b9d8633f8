package io.vigil.house;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import io.vigil.house.siblings.FirstStage;
import io.vigil.house.siblings.SecondStage;
import io.vigil.state.PreCommitStore;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The house rules, checked on the compiled main code: Kafka's public APIs only, statistics free of
 * infrastructure, stages side by side on shared types, and packages layered without cycles. The
 * layering follows the data flow; docs/architecture.md draws it.
 */
class ArchitectureTest {
    private static JavaClasses main;

    @BeforeAll
    static void importMainCode() {
        main = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.vigil");
        // A rule over nothing passes whatever it says: make sure the import saw the code.
        assertThat(main.contain("io.vigil.topology.VigilTopology")).isTrue();
        assertThat(main.size()).isGreaterThan(150);
    }

    @Test
    void shouldUseOnlyPublicKafkaApisOutsideTheOnePreCommitAdapter() {
        noClasses()
                .that()
                .resideInAPackage("io.vigil..")
                .and()
                .doNotBelongToAnyOf(PreCommitStore.class)
                .should()
                .dependOnClassesThat()
                .resideInAPackage("..internals..")
                .because("Kafka's internal packages change without notice between releases (see PreCommitStore)")
                .check(main);
        Set<String> hook = Set.of(
                "org.apache.kafka.streams.state.internals.CachedStateStore",
                "org.apache.kafka.streams.state.internals.CacheFlushListener");
        classes()
                .that()
                .belongToAnyOf(PreCommitStore.class)
                .should()
                .onlyDependOnClassesThat(DescribedPredicate.describe(
                        "public or the cached-store hook",
                        (JavaClass c) -> !c.getPackageName().contains(".internals") || hook.contains(c.getName())))
                .check(main);
    }

    @Test
    void shouldKeepTheStatisticsFreeOfKafkaJsonAndMetricsLibraries() {
        noClasses()
                .that()
                .resideInAPackage("io.vigil.stats..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "org.apache.kafka..",
                        "com.fasterxml.jackson..",
                        "io.micrometer..",
                        "io.prometheus..",
                        "picocli..")
                .orShould()
                .dependOnClassesThat()
                .resideOutsideOfPackages(
                        "io.vigil.stats..",
                        "java..",
                        "org.apache.commons.statistics..",
                        "org.apache.commons.numbers..",
                        "org.apache.commons.rng..",
                        "org.apache.datasketches..")
                .check(main);
    }

    @Test
    void shouldNeverLetAStageUseASiblingStage() {
        classes()
                .that()
                .resideInAPackage("io.vigil.stages")
                .should(useNoSiblingStage())
                .because("stages stand side by side on shared types (io.vigil.stages.shared), wired by the topology")
                .check(main);
    }

    @Test
    void shouldLayerThePackagesAlongTheDataFlow() {
        layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("Stats")
                .definedBy("io.vigil.stats..")
                .layer("Serde")
                .definedBy("io.vigil.serde..")
                .layer("Config")
                .definedBy("io.vigil.config..")
                .layer("Events")
                .definedBy("io.vigil.events..")
                .layer("State")
                .definedBy("io.vigil.state..")
                .layer("Topics")
                .definedBy("io.vigil.topics..")
                .layer("Incidents")
                .definedBy("io.vigil.incidents..")
                .layer("Sim")
                .definedBy("io.vigil.sim..")
                .layer("StagesShared")
                .definedBy("io.vigil.stages.shared..")
                .layer("Aggregates")
                .definedBy("io.vigil.aggregates..")
                .layer("DeadLetters")
                .definedBy("io.vigil.deadletters..")
                .layer("Stages")
                .definedBy("io.vigil.stages")
                .layer("Metrics")
                .definedBy("io.vigil.metrics..")
                .layer("Alerts")
                .definedBy("io.vigil.alerts..")
                .layer("Topology")
                .definedBy("io.vigil.topology..")
                .layer("Http")
                .definedBy("io.vigil.http..")
                .layer("Doctor")
                .definedBy("io.vigil.doctor..")
                .layer("Adapters")
                .definedBy("io.vigil.adapters..")
                .layer("App")
                .definedBy("io.vigil.app..")
                .layer("Broker")
                .definedBy("io.vigil.broker..")
                .layer("Verification")
                .definedBy("io.vigil.verification..")
                .layer("Docs")
                .definedBy("io.vigil.docs..")
                .layer("Cli")
                .definedBy("io.vigil.cli..")
                .whereLayer("Stats")
                .mayNotAccessAnyLayer()
                .whereLayer("Serde")
                .mayNotAccessAnyLayer()
                .whereLayer("Config")
                .mayNotAccessAnyLayer()
                .whereLayer("Broker")
                .mayNotAccessAnyLayer()
                .whereLayer("Events")
                .mayOnlyAccessLayers("Serde", "Stats")
                .whereLayer("State")
                .mayOnlyAccessLayers("Events")
                .whereLayer("Topics")
                .mayOnlyAccessLayers("Config", "Events", "Serde")
                .whereLayer("Incidents")
                .mayOnlyAccessLayers("Events")
                .whereLayer("Sim")
                .mayOnlyAccessLayers("Events", "Serde", "Stats")
                .whereLayer("StagesShared")
                .mayOnlyAccessLayers("Events", "Serde", "Stats", "Topics", "State")
                .whereLayer("Aggregates")
                .mayOnlyAccessLayers("Events", "State", "Stats")
                .whereLayer("DeadLetters")
                .mayOnlyAccessLayers("Events", "Serde", "Topics")
                .whereLayer("Stages")
                .mayOnlyAccessLayers(
                        "Aggregates",
                        "Config",
                        "DeadLetters",
                        "Events",
                        "Serde",
                        "StagesShared",
                        "State",
                        "Stats",
                        "Topics")
                .whereLayer("Metrics")
                .mayOnlyAccessLayers(
                        "Aggregates",
                        "Config",
                        "DeadLetters",
                        "Events",
                        "Serde",
                        "Stages",
                        "StagesShared",
                        "State",
                        "Stats",
                        "Topics")
                .whereLayer("Alerts")
                .mayOnlyAccessLayers(
                        "Config",
                        "Events",
                        "Incidents",
                        "Metrics",
                        "Serde",
                        "Stages",
                        "StagesShared",
                        "Stats",
                        "Topics")
                .whereLayer("Topology")
                .mayOnlyAccessLayers(
                        "Aggregates",
                        "Alerts",
                        "Config",
                        "DeadLetters",
                        "Events",
                        "Serde",
                        "Stages",
                        "StagesShared",
                        "Topics")
                .whereLayer("Http")
                .mayOnlyAccessLayers("Config", "Events", "Serde")
                .whereLayer("Doctor")
                .mayOnlyAccessLayers("Alerts", "Config", "Events", "Topics")
                .whereLayer("Adapters")
                .mayOnlyAccessLayers("Config", "DeadLetters", "Events", "Serde", "Topics")
                .whereLayer("App")
                .mayOnlyAccessLayers(
                        "Alerts",
                        "Config",
                        "DeadLetters",
                        "Events",
                        "Http",
                        "Incidents",
                        "Metrics",
                        "Serde",
                        "Stats",
                        "Topics",
                        "Topology")
                .whereLayer("Docs")
                .mayOnlyAccessLayers("Config", "Metrics")
                .whereLayer("Verification")
                .mayOnlyAccessLayers(
                        "Aggregates",
                        "Alerts",
                        "Config",
                        "Events",
                        "Metrics",
                        "Serde",
                        "Stages",
                        "StagesShared",
                        "State",
                        "Stats")
                .check(main);
    }

    @Test
    void shouldHaveNoPackageCycles() {
        slices().matching("io.vigil.(**)").should().beFreeOfCycles().check(main);
    }

    @Test
    void shouldCatchASiblingStageWhenThereIsOne() {
        // The sibling rule applied to a package where one class uses another must find it: a rule that
        // cannot fail proves nothing.
        JavaClasses pair = new ClassFileImporter().importClasses(FirstStage.class, SecondStage.class);
        EvaluationResult result = classes()
                .should(useNoSiblingStageIn(FirstStage.class.getPackageName()))
                .evaluate(pair);
        assertThat(result.hasViolation()).isTrue();
        assertThat(result.getFailureReport().getDetails()).anyMatch(line -> line.contains("SecondStage"));
    }

    private static ArchCondition<JavaClass> useNoSiblingStage() {
        return useNoSiblingStageIn("io.vigil.stages");
    }

    private static ArchCondition<JavaClass> useNoSiblingStageIn(String stagesPackage) {
        return new ArchCondition<>("use no sibling top-level class of " + stagesPackage) {
            @Override
            public void check(JavaClass stage, ConditionEvents events) {
                JavaClass home = topLevel(stage);
                for (Dependency d : stage.getDirectDependenciesFromSelf()) {
                    JavaClass target = d.getTargetClass().getBaseComponentType();
                    if (target.getPackageName().equals(stagesPackage)
                            && !topLevel(target).equals(home)) {
                        events.add(SimpleConditionEvent.violated(stage, d.getDescription()));
                    }
                }
            }
        };
    }

    private static JavaClass topLevel(JavaClass c) {
        JavaClass t = c;
        while (t.getEnclosingClass().isPresent()) {
            t = t.getEnclosingClass().get();
        }
        return t;
    }
}
