package io.vigil.state;

/**
 * How a mergeable aggregate is created, merged and stored. Implementations are stateless.
 *
 * @param <A> a mutable, mergeable aggregate (a sketch, a set of counts)
 */
public interface Codec<A> {
    A empty();

    /** Adds {@code from} into {@code into}; {@code from} is left unchanged. */
    void merge(A into, A from);

    byte[] toBytes(A aggregate);

    A fromBytes(byte[] bytes);
}
