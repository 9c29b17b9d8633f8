package io.vigil.state;

import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * A state store that keeps changes in memory and writes them into its logged inner store when Kafka
 * Streams prepares a commit, so that they enter the changelog in the same transaction as the input
 * offsets and the outputs they belong to.
 *
 * <p><b>Why this is the one class of Vigil on a Kafka internal interface.</b> The public
 * {@link StateStore} contract of Kafka Streams 4.3 offers {@link StateStore#flush()} and
 * {@link StateStore#commit(java.util.Map)}, but under {@code exactly_once_v2} both run in the task's
 * post-commit step, after the producer's transaction has committed: a changelog write made there
 * falls into the next transaction, and a crash in between loses it while the input it counts is
 * already committed. The only hook Kafka Streams calls before the transaction commits (in
 * {@code StreamTask#prepareCommit}, through {@code ProcessorStateManager#flushCache}) is
 * {@link CachedStateStore#flushCache()}, the one its own record caches use. A wall-clock punctuator
 * is not aligned with commits, and writing through on every record costs a serialisation per record,
 * which is what these stores exist to avoid.
 *
 * <p>So the internal interface is confined here: subclasses implement {@link #writeBeforeCommit()} and
 * {@link #discardUnwritten()} and never name a Kafka internal. {@code PreCommitStoreContractTest}
 * pins the behaviour this relies on (a write made by the hook is inside the committed transaction; a
 * dirty close discards what was not written) and fails if a Kafka upgrade changes it; the kill -9
 * integration tests check the end result under real crashes.
 */
public abstract class PreCommitStore implements StateStore, CachedStateStore<byte[], byte[]> {

    /**
     * Writes what is held only in memory into the logged inner store. Called by Kafka Streams before
     * the commit's transaction commits, and by {@link #flush()} and {@link #commit(java.util.Map)} (a
     * no-op then, as nothing is left to write).
     */
    protected abstract void writeBeforeCommit();

    /** Forgets what was not yet written: the task is being closed dirty and will replay its input. */
    protected abstract void discardUnwritten();

    @Override
    public final void flushCache() {
        writeBeforeCommit();
    }

    @Override
    public final void clearCache() {
        discardUnwritten();
    }

    /** No record cache forwards downstream from these stores: there is nothing to listen to. */
    @Override
    public final boolean setFlushListener(CacheFlushListener<byte[], byte[]> listener, boolean sendOldValues) {
        return false;
    }
}
