package org.fusefs.memory.owner;

import java.util.List;
import org.fusefs.memory.buddy.MigrateType;

/**
 * What page_owner remembers about one allocated block: its order, type, time and allocating call
 * chain.
 *
 * <p>Mirrors {@code struct page_owner} in {@code mm/page_owner.c}; kept in a side table keyed by
 * pfn, never in {@code Page}. {@code stack} is interned, so equal chains are the same list.
 */
public record PageOwner(long pfn, int order, MigrateType type, long tsNanos, String thread, List<String> stack) {
}
