package org.fusefs.pagecache;

/**
 * A holder of mappings of an address space's pages (a VMA, the kernel's page cache of a FUSE
 * client) that must forget pages before they leave the cache or move. Part of the reverse map.
 */
public interface Unmapper {

    /** Drops every mapping of page indexes {@code [firstIndex, lastIndex]}; called with no page lock held. */
    void unmap(AddressSpace mapping, long firstIndex, long lastIndex);
}
