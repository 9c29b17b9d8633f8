package io.vigil.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that needs a real Kafka broker. Test methods, lifecycle methods and constructors
 * declare a {@link KafkaBroker} parameter to receive it. One broker serves every annotated class in
 * the JVM (see {@link RealKafkaExtension}), so each test uses its own topic names and group ids.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Tag("kafka")
@ExtendWith(RealKafkaExtension.class)
public @interface RealKafka {}
