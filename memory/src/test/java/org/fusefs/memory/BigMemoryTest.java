package org.fusefs.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.Test;

/**
 * 16 GiB of simulated memory: created, allocated to the last block, touched at the start of
 * every block and at order-0 pages spread over it, freed and whole again. Off-heap memory is
 * committed only where touched (about 32 MiB), and the heap holds a few tens of MiB of
 * per-frame arrays, since page objects exist only for frames that were used. The module's tests
 * run with -Xmx384m (memory/pom.xml), so this passing is the proof that a modest heap suffices.
 */
class BigMemoryTest {

    @Test
    void sixteenGibibytesWork() {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(16L << 30).build())) {
            long total = m.totalPages();
            assertEquals(4L << 20, total);
            List<Page> blocks = new ArrayList<>();
            Page p;
            byte[] mark = new byte[8];
            while ((p = m.allocPages(10, MigrateType.MOVABLE)) != null) {
                mark[0] = (byte) p.pfn();
                p.copyFrom(mark, 0, 0, 8);
                blocks.add(p);
            }
            assertEquals(total / 1024, blocks.size());
            Runtime rt = Runtime.getRuntime();
            System.out.printf("16 GiB memory: %d frames allocated as %d blocks, heap used %d MiB of max %d MiB%n",
                    total, blocks.size(), (rt.totalMemory() - rt.freeMemory()) >> 20, rt.maxMemory() >> 20);
            assertEquals(0, m.nrFreePages());
            assertNull(m.allocPage(MigrateType.UNMOVABLE));
            byte[] back = new byte[8];
            Page last = blocks.get(blocks.size() - 1);
            last.copyTo(0, back, 0, 8);
            assertEquals((byte) last.pfn(), back[0]);
            // Give every 64th block back and take it again as order-0 pages touched one by one.
            List<Page> small = new ArrayList<>();
            for (int i = 0; i < blocks.size(); i += 64) {
                m.freePages(blocks.get(i));
                for (int j = 0; j < 1024; j++) {
                    Page s = m.allocPage(MigrateType.MOVABLE);
                    assertNotNull(s);
                    s.copyFrom(mark, 0, 0, 8);
                    small.add(s);
                }
            }
            small.forEach(m::freePages);
            for (int i = 0; i < blocks.size(); i++) {
                if (i % 64 != 0) {
                    m.freePages(blocks.get(i));
                }
            }
            m.drainAllPages();
            assertEquals(total, m.nrFreePages());
            long objects = m.allocator().zone().memMapMaterialized();
            System.out.printf("16 GiB memory: %d page objects exist for %d frames%n", objects, total);
            assertTrue(objects < total / 8, objects + " page objects");
            assertTrue(m.buddyinfo().trim().endsWith(" 4096"), m.buddyinfo());
        }
    }
}
