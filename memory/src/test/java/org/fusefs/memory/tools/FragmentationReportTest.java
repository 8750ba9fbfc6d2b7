package org.fusefs.memory.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The experiment's workload on a small memory: its promises hold, whatever the numbers. */
class FragmentationReportTest {

    @Test
    void workloadHoldsAtLeastATenthUnmovableAndActiveFreeingNeverDoesWorse() {
        long bytes = 64L << 20;
        long pages = bytes / 4096;
        FragmentationReport.Result off = FragmentationReport.run(bytes, 3, 0.05, false, false);
        FragmentationReport.Result on = FragmentationReport.run(bytes, 3, 0.05, true, false);
        FragmentationReport.Result active = FragmentationReport.run(bytes, 3, 0.05, true, true);
        assertTrue(on.unmovablePages() >= pages / 10, "unmovable share " + on.unmovablePages() + " of " + pages);
        assertEquals(off.unmovablePages(), on.unmovablePages(), "same seed, same workload");
        assertEquals(off.movableHeldPages(), on.movableHeldPages(), "same seed, same workload");
        assertTrue(active.successes() >= on.successes(), active + " vs " + on);
        // Whole pageblocks without unmovable pages can all be had once the movable ones are given back.
        assertTrue(active.successes() >= pages / 1024 - (on.unmovablePages() + 1023) / 1024 - 2, active.toString());
        assertEquals(64, FragmentationReport.parseSize("64M") >> 20);
        assertEquals(1L << 30, FragmentationReport.parseSize("1G"));
    }
}
