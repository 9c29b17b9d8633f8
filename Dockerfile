# syntax=docker/dockerfile:1
# Vigil: build the shaded jar with the Maven wrapper on Temurin 25, run it on the Temurin 25 JRE as a non-root user.
#   docker build -t vigil .
#   docker run --rm -e VIGIL_BOOTSTRAP_SERVERS=kafka:9092 -e VIGIL_HTTP_BIND=0.0.0.0 -p 8080:8080 vigil
# Settings come from VIGIL_* environment variables (unknown VIGIL_* names are rejected at startup),
# JVM options from JAVA_TOOL_OPTIONS.

FROM eclipse-temurin:25-jdk AS build
WORKDIR /src
# Wrapper and POMs first, so the dependency download is cached while sources change.
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY monitor/pom.xml monitor/pom.xml
COPY benchmarks/pom.xml benchmarks/pom.xml
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q -pl monitor dependency:go-offline -DskipTests || true
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q -pl monitor -DskipTests package \
    && cp monitor/target/vigil.jar /vigil.jar

FROM eclipse-temurin:25-jre
# curl for the container health check (GET /health/ready).
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 vigil \
    && useradd --system --uid 10001 --gid vigil --home-dir /var/lib/vigil --shell /usr/sbin/nologin vigil \
    && mkdir -p /app /var/lib/vigil \
    && chown vigil:vigil /var/lib/vigil
COPY --from=build /vigil.jar /app/vigil.jar
USER 10001:10001
WORKDIR /var/lib/vigil
# Kafka Streams state (RocksDB, checkpoints): a PHI store, keep it on a protected volume.
VOLUME ["/var/lib/vigil"]
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError" \
    VIGIL_STATE_DIR=/var/lib/vigil
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=4 \
    CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
# Kafka's clients use sun.misc.Unsafe: allowed without a warning on each start (JEP 498).
ENTRYPOINT ["java", "--sun-misc-unsafe-memory-access=allow", "-jar", "/app/vigil.jar"]
CMD ["run"]
