# Sourced by the tools that need a Kafka broker of their own: start_broker JAR starts Vigil's embedded broker
# (in-JVM KRaft, from the jar) in its own JVM in the current directory, waits for it, and sets B (its
# bootstrap servers) and BPID (its process). Needs J (the java binary) and OPTS (its options).
start_broker() {
  cat > Broker.java <<'JAVA'
public class Broker {
  public static void main(String[] a) throws Exception {
    io.vigil.broker.EmbeddedKafka k = io.vigil.broker.EmbeddedKafka.start();
    java.nio.file.Files.writeString(java.nio.file.Path.of("bootstrap"), k.bootstrapServers());
    Thread.sleep(Long.MAX_VALUE);
  }
}
JAVA
  rm -f bootstrap
  $J $OPTS -cp "$1" Broker.java > "${2:-broker.log}" 2>&1 &
  BPID=$!
  for _ in $(seq 60); do [ -s bootstrap ] && break; sleep 1; done
  B=$(cat bootstrap)
}
