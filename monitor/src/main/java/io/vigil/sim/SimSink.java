package io.vigil.sim;

/**
 * Where simulated events go. Events arrive in simulator order; {@link #close()} flushes and releases
 * resources and reports any delivery failure as an unchecked exception.
 */
public interface SimSink extends AutoCloseable {

    /** Takes one event; may buffer it. */
    void accept(SimEvent event);

    /** Flushes buffered events and releases resources. */
    @Override
    void close();
}
