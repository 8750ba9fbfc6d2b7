package org.fusefs.memory.buddy;

/**
 * Mobility of an allocation, after Mel Gorman's grouping by mobility ({@code enum migratetype}).
 *
 * <p>Pages that can be given back on request (page cache, RAM disk data) are MOVABLE; metadata
 * that can be shrunk is RECLAIMABLE; everything else is UNMOVABLE.
 */
public enum MigrateType {
    UNMOVABLE, MOVABLE, RECLAIMABLE
}
