package org.fusefs.memory.poison;

import java.util.Random;
import org.fusefs.memory.MfResult;

/**
 * Injects memory failures on request, for tests and the command-line tool.
 *
 * <p>Mirrors {@code mm/hwpoison-inject.c}, kept apart from the handling in {@link MemoryFailure}.
 */
public final class HwPoisonInjector {
    private final MemoryFailure memoryFailure;
    private final long nrPages;

    public HwPoisonInjector(MemoryFailure memoryFailure, long nrPages) {
        this.memoryFailure = memoryFailure;
        this.nrPages = nrPages;
    }

    /** Poisons frame {@code pfn}, as writing it to {@code corrupt-pfn} would. */
    public MfResult inject(long pfn) {
        return memoryFailure.memoryFailure(pfn);
    }

    /** Poisons {@code count} frames drawn from {@code rnd}; returns how many were recovered. */
    public int injectRandom(Random rnd, int count) {
        int recovered = 0;
        for (int i = 0; i < count; i++) {
            if (inject((long) (rnd.nextDouble() * nrPages)) == MfResult.RECOVERED) {
                recovered++;
            }
        }
        return recovered;
    }
}
