package org.fusefs.memory.tools;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.Shrinker;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;

/**
 * The fragmentation experiment of Mel Gorman's grouping by mobility: fill memory with a mix of
 * long-lived unmovable and short-lived movable order-0 pages, free most movable ones, then try
 * {@value #ATTEMPTS} order-10 allocations. Run three times with the same seed: grouping off,
 * grouping on, and grouping on with active freeing (a shrinker that gives back the movable pages
 * it still holds).
 *
 * <p>The workload is meant to look like a kernel's over time, not to produce numbers: movable
 * pages belong to files that several writers fill at once, in writes of 4 to 64 KiB, a share of them are temporary files
 * deleted soon after they are written; unmovable pages (think slab, page tables) are allocated
 * interleaved with the file pages, in proportion to the memory in use, and are never freed.
 * When memory is full, the temporary files and most of the remaining files are deleted, as after
 * a build whose output is mostly thrown away.
 *
 * <p>Usage: {@code FragmentationReport [--size 1G] [--seed 1] [--kept 0.05] [--no-sweep]}; prints
 * to stdout.
 */
public final class FragmentationReport {
    static final int ATTEMPTS = 160;
    /** Unmovable pages as a share of memory in use, kept throughout the fill. */
    static final double UNMOVABLE_SHARE = 0.12;
    /** Files being written at the same time. */
    static final int WRITERS = 8;
    /** Largest write, in pages (a 64 KiB write(2)); each write is 1 to this many pages. */
    static final int MAX_WRITE_PAGES = 16;
    /** Share of files that are temporary (deleted a little after they are complete). */
    static final double TEMP_SHARE = 0.6;
    /** Complete temporary files kept before the oldest is deleted. */
    static final int TEMP_BACKLOG = 16;
    /**
     * Share of the remaining (non-temporary) files kept when memory is full: "free most movable
     * ones". The report also sweeps it, because grouping alone depends on it heavily.
     */
    static final double KEPT_SHARE = 0.05;
    static final double[] KEPT_SWEEP = {0.01, 0.02, 0.05, 0.10, 0.15};
    /** The fill stops when free memory falls below this share. */
    static final double FULL_FREE_SHARE = 0.01;

    private FragmentationReport() {
    }

    /** What one run measured. */
    record Result(boolean grouping, boolean activeFreeing, long unmovablePages, long movableHeldPages,
            long peakMovablePages, int successes, String buddyinfoBefore, String pageblocks) {
    }

    public static void main(String[] args) {
        long bytes = 1L << 30;
        long seed = 1;
        double kept = KEPT_SHARE;
        boolean sweep = true;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = a.contains("=") ? a.substring(a.indexOf('=') + 1) : (i + 1 < args.length ? args[i + 1] : null);
            boolean inline = a.contains("=");
            if (a.equals("--no-sweep")) {
                sweep = false;
                continue;
            }
            if (a.startsWith("--size")) {
                bytes = parseSize(v);
            } else if (a.startsWith("--seed")) {
                seed = Long.parseLong(v);
            } else if (a.startsWith("--kept")) {
                kept = Double.parseDouble(v);
            } else {
                throw new IllegalArgumentException("unknown argument '" + a + "'; usage: [--size 1G] [--seed N] [--kept 0.05] [--no-sweep]");
            }
            if (!inline) {
                i++;
            }
        }
        Result off = run(bytes, seed, kept, false, false);
        Result on = run(bytes, seed, kept, true, false);
        Result active = run(bytes, seed, kept, true, true);
        long pages = bytes / 4096;
        System.out.printf("Fragmentation experiment (after Mel Gorman, 2005)%n");
        System.out.printf("memory %d MiB = %d frames = %d order-10 blocks; seed %d%n", bytes >> 20, pages, pages / 1024, seed);
        System.out.printf("workload: %d writers writing 1..%d pages at a time, %.0f%% temporary files,%n"
                + "          unmovable pages kept at %.0f%% of memory in use,%n",
                WRITERS, MAX_WRITE_PAGES, TEMP_SHARE * 100, UNMOVABLE_SHARE * 100);
        System.out.printf("          fill until %.0f%% free, then delete temporary files and %.0f%% of the others%n",
                FULL_FREE_SHARE * 100, (1 - kept) * 100);
        System.out.printf("unmovable pages: %d = %.1f%% of memory; movable pages at peak: %d; still held: %d = %.1f%% of memory%n%n",
                on.unmovablePages(), 100.0 * on.unmovablePages() / pages, on.peakMovablePages(),
                on.movableHeldPages(), 100.0 * on.movableHeldPages() / pages);
        for (Result r : List.of(off, on, active)) {
            System.out.printf("%-40s %3d of %d order-10 allocations succeeded%n",
                    "grouping " + (r.grouping() ? "on" : "off") + (r.activeFreeing() ? " + active freeing" : "") + ":",
                    r.successes(), ATTEMPTS);
        }
        System.out.printf("%nbefore the order-10 attempts:%n");
        for (Result r : List.of(off, on)) {
            System.out.printf("grouping %-3s buddyinfo:  %s", r.grouping() ? "on" : "off", r.buddyinfoBefore());
            System.out.printf("grouping %-3s pageblocks: %s%n", r.grouping() ? "on" : "off", r.pageblocks());
        }
        System.out.printf("%nGorman measured 3 of 160 without and 81 of 160 with grouping in a kernel.%n");
        double ratio = off.successes() == 0 ? Double.POSITIVE_INFINITY : (double) on.successes() / off.successes();
        System.out.printf("grouping on / off: %s; with active freeing: %d of %d%n",
                off.successes() == 0 ? (on.successes() > 0 ? "all vs none" : "none either way")
                        : String.format("%.1fx", ratio), active.successes(), ATTEMPTS);
        if (sweep) {
            System.out.printf("%nsensitivity, same seed: successes out of %d by share of other files kept%n", ATTEMPTS);
            System.out.printf("%6s %12s %6s %6s %16s%n", "kept", "movable held", "off", "on", "on + active");
            for (double k : KEPT_SWEEP) {
                Result a = run(bytes, seed, k, false, false);
                Result b = run(bytes, seed, k, true, false);
                Result c = run(bytes, seed, k, true, true);
                System.out.printf("%5.0f%% %11.1f%% %6d %6d %16d%n", k * 100, 100.0 * b.movableHeldPages() / pages,
                        a.successes(), b.successes(), c.successes());
            }
        }
    }

    static long parseSize(String s) {
        if (s == null || s.isEmpty()) {
            throw new IllegalArgumentException("size missing, e.g. 1G or 512M");
        }
        char unit = Character.toUpperCase(s.charAt(s.length() - 1));
        long mult = switch (unit) {
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            default -> 1;
        };
        String digits = mult == 1 ? s : s.substring(0, s.length() - 1);
        return Long.parseLong(digits) * mult;
    }

    /** A file whose pages are movable page cache. */
    private static final class File {
        final int target;
        final boolean temp;
        final List<Page> pages = new ArrayList<>();

        File(int target, boolean temp) {
            this.target = target;
            this.temp = temp;
        }
    }

    /** The workload's files, and a shrinker that deletes the oldest first. */
    private static final class Files implements Shrinker {
        final PhysicalMemory memory;
        final ArrayDeque<File> kept = new ArrayDeque<>();
        long held;

        Files(PhysicalMemory memory) {
            this.memory = memory;
        }

        void delete(File f) {
            for (Page p : f.pages) {
                memory.freePages(p);
            }
            held -= f.pages.size();
            f.pages.clear();
        }

        @Override
        public long shrink(long nrPages, int order) {
            long freed = 0;
            while (freed < nrPages && !kept.isEmpty()) {
                File f = kept.pollFirst();
                freed += f.pages.size();
                delete(f);
            }
            return freed;
        }
    }

    /** Runs the workload once and tries the order-10 allocations. */
    static Result run(long bytes, long seed, double kept, boolean grouping, boolean activeFreeing) {
        MemoryConfig config = MemoryConfig.builder().bytes(bytes).mobilityGrouping(grouping).build();
        try (PhysicalMemory m = PhysicalMemory.create(config)) {
            Random rnd = new Random(seed);
            long total = m.totalPages();
            Files files = new Files(m);
            List<Page> unmovable = new ArrayList<>();
            File[] writing = new File[WRITERS];
            ArrayDeque<File> temps = new ArrayDeque<>();
            List<File> complete = new ArrayList<>();
            long peakMovable = 0;
            while (m.nrFreePages() > total * FULL_FREE_SHARE) {
                long used = unmovable.size() + files.held;
                if (unmovable.size() < UNMOVABLE_SHARE * used && rnd.nextBoolean()) {
                    Page p = m.allocPage(MigrateType.UNMOVABLE);
                    if (p == null) {
                        break;
                    }
                    unmovable.add(p);
                    continue;
                }
                int w = rnd.nextInt(WRITERS);
                if (writing[w] == null) {
                    // Sizes from 4 pages to 16 MiB, evenly spread on a log scale.
                    int size = (int) Math.round(Math.pow(2, 2 + rnd.nextDouble() * 10));
                    writing[w] = new File(size, rnd.nextDouble() < TEMP_SHARE);
                }
                File f = writing[w];
                int write = Math.min(1 + rnd.nextInt(MAX_WRITE_PAGES), f.target - f.pages.size());
                boolean full = false;
                for (int i = 0; i < write && !full; i++) {
                    Page p = m.allocPage(MigrateType.MOVABLE);
                    if (p == null) {
                        full = true;
                    } else {
                        f.pages.add(p);
                        files.held++;
                    }
                }
                if (full) {
                    break;
                }
                peakMovable = Math.max(peakMovable, files.held);
                if (f.pages.size() == f.target) {
                    writing[w] = null;
                    if (f.temp) {
                        temps.addLast(f);
                        if (temps.size() > TEMP_BACKLOG) {
                            files.delete(temps.pollFirst());
                        }
                    } else {
                        complete.add(f);
                    }
                }
            }
            // Memory is full: throw away the temporary files and most of the others.
            for (File f : temps) {
                files.delete(f);
            }
            for (File f : writing) {
                if (f != null) {
                    complete.add(f);
                }
            }
            for (File f : complete) {
                if (rnd.nextDouble() < kept) {
                    files.kept.addLast(f);
                } else {
                    files.delete(f);
                }
            }
            m.drainAllPages();
            String buddyinfo = m.buddyinfo();
            String pagetype = m.pagetypeinfo();
            String blocks = pagetype.substring(pagetype.lastIndexOf("Node")).trim().replaceAll("\\s+", " ");
            String header = "Unmovable Movable Reclaimable";
            long unmovablePages = unmovable.size();
            long movableHeld = files.held;
            if (activeFreeing) {
                m.registerShrinker(files);
            }
            List<Page> huge = new ArrayList<>();
            for (int i = 0; i < ATTEMPTS; i++) {
                Page p = m.allocPages(10, MigrateType.MOVABLE);
                if (p != null) {
                    huge.add(p);
                }
            }
            return new Result(grouping, activeFreeing, unmovablePages, movableHeld, peakMovable, huge.size(),
                    buddyinfo, header + " = " + blocks.substring(blocks.indexOf("Normal") + 7));
        }
    }
}
