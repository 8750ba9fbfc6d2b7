package org.fusefs.pagecache;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;

/** A stand-in for a VMA holder: remembers what it was told to unmap and drops PG_mapped. */
final class RecordingUnmapper implements Unmapper {
    final List<long[]> calls = new CopyOnWriteArrayList<>();

    @Override
    public void unmap(AddressSpace mapping, long firstIndex, long lastIndex) {
        calls.add(new long[] {firstIndex, lastIndex});
        for (long i = firstIndex; i <= Math.min(lastIndex, firstIndex + 4096); i++) {
            Page p = mapping.findPage(i);
            if (p != null) {
                p.clear(PageFlag.MAPPED);
            }
        }
    }

    boolean covered(long index) {
        for (long[] c : calls) {
            if (c[0] <= index && index <= c[1]) {
                return true;
            }
        }
        return false;
    }
}
