package org.fusefs.memory.owner;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;

/**
 * page_owner: records, for every block allocated while it is on, who allocated it, and prints a
 * report that groups identical call chains.
 *
 * <p>Mirrors {@code mm/page_owner.c} with the stack depot of {@code lib/stackdepot.c} and the
 * grouping of {@code tools/mm/page_owner_sort.c}. Thread-safe: the table is a concurrent map
 * keyed by pfn and chains are interned in a concurrent depot.
 */
public final class PageOwnerTracker implements AllocationHooks {
    /** Frames of the call chain kept per allocation. */
    static final int STACK_DEPTH = 16;
    /** Frames listed per group in the report. */
    static final int PFNS_PER_GROUP = 16;

    private final ConcurrentHashMap<Long, PageOwner> owners = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<List<String>, List<String>> depot = new ConcurrentHashMap<>();
    private final LongSupplier clock;

    /** Creates a tracker that stamps allocations with {@code clock} (nanoseconds). */
    public PageOwnerTracker(LongSupplier clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public PageOwnerTracker() {
        this(System::nanoTime);
    }

    @Override
    public void postAlloc(Page head, int order, MigrateType type) {
        owners.put(head.pfn(), new PageOwner(head.pfn(), order, type, clock.getAsLong(),
                Thread.currentThread().getName(), captureStack()));
    }

    @Override
    public void onFree(Page head, int order) {
        owners.remove(head.pfn());
    }

    /** Returns the record of the block headed by {@code pfn}, or {@code null}. */
    public PageOwner owner(long pfn) {
        return owners.get(pfn);
    }

    /** Returns the number of blocks tracked. */
    public int size() {
        return owners.size();
    }

    /** Forgets everything (when tracking is switched off). */
    public void clear() {
        owners.clear();
    }

    /**
     * The call chain of the current allocation. This runs on every allocation while tracking is on
     * (every page-cache page of a mounted filesystem), so it only captures the VM's compact
     * backtrace (a {@link Throwable}, about 1.5 us for 20 frames against 10 us for a
     * {@link StackWalker} walk that names its frames); the frames are named and the chain interned
     * in the depot when somebody first looks at it (a report). Most page-cache pages are freed
     * before any report, so their chains are never resolved. The price is heap: about 600 bytes per
     * tracked block until its chain is resolved.
     */
    private List<String> captureStack() {
        return new LazyChain(new Throwable("page_owner"));
    }

    private static boolean isAllocatorFrame(String c) {
        return c.equals("org.fusefs.memory.buddy.BuddyAllocator") || c.equals(PageOwnerTracker.class.getName())
                || c.equals("org.fusefs.memory.PhysicalMemory");
    }

    /** A call chain captured as a backtrace and named on first use; equal to the interned chain. */
    private final class LazyChain extends AbstractList<String> {
        private Throwable trace; // guarded by this; null once resolved
        private List<String> chain; // guarded by this

        LazyChain(Throwable trace) {
            this.trace = trace;
        }

        private synchronized List<String> chain() {
            if (chain == null) {
                StackTraceElement[] st = trace.getStackTrace();
                int i = 0;
                while (i < st.length && isAllocatorFrame(st[i].getClassName())) {
                    i++;
                }
                List<String> frames = new ArrayList<>(STACK_DEPTH);
                for (; i < st.length && frames.size() < STACK_DEPTH; i++) {
                    StackTraceElement f = st[i];
                    frames.add(f.getClassName() + "." + f.getMethodName() + "(" + f.getFileName() + ":"
                            + f.getLineNumber() + ")");
                }
                List<String> key = List.copyOf(frames);
                chain = depot.computeIfAbsent(key, k -> k);
                trace = null;
            }
            return chain;
        }

        @Override
        public String get(int index) {
            return chain().get(index);
        }

        @Override
        public int size() {
            return chain().size();
        }
    }

    /** A set of allocations with the same order, type and call chain. */
    record Group(int order, MigrateType type, List<String> stack, List<PageOwner> owners) {
    }

    /** Returns the groups of identical allocations, largest first. */
    List<Group> groups() {
        record Key(int order, MigrateType type, List<String> stack) {
        }
        Map<Key, List<PageOwner>> byKey = new HashMap<>();
        for (PageOwner o : owners.values()) {
            byKey.computeIfAbsent(new Key(o.order(), o.type(), o.stack()), k -> new ArrayList<>()).add(o);
        }
        List<Group> groups = new ArrayList<>();
        for (Map.Entry<Key, List<PageOwner>> e : byKey.entrySet()) {
            List<PageOwner> list = e.getValue();
            list.sort(Comparator.comparingLong(PageOwner::pfn));
            groups.add(new Group(e.getKey().order(), e.getKey().type(), e.getKey().stack(), list));
        }
        groups.sort(Comparator.comparingInt((Group g) -> g.owners().size()).reversed()
                .thenComparingInt(Group::order)
                .thenComparing(g -> g.type().ordinal()));
        return groups;
    }

    /**
     * Returns the report: for each group of identical allocations, largest first,
     * "N times: page allocated via order K, type T", the call chain and the first frames' pfns.
     */
    public String report() {
        StringBuilder sb = new StringBuilder();
        for (Group g : groups()) {
            List<PageOwner> os = g.owners();
            long first = Long.MAX_VALUE;
            long last = Long.MIN_VALUE;
            for (PageOwner o : os) {
                first = Math.min(first, o.tsNanos());
                last = Math.max(last, o.tsNanos());
            }
            sb.append(os.size()).append(" times: page allocated via order ").append(g.order())
                    .append(", type ").append(typeName(g.type()))
                    .append(", ts ").append(first).append("..").append(last).append(" ns\n");
            for (String frame : g.stack()) {
                sb.append(" ").append(frame).append('\n');
            }
            sb.append(" pfns:");
            for (int i = 0; i < Math.min(PFNS_PER_GROUP, os.size()); i++) {
                sb.append(" 0x").append(Long.toHexString(os.get(i).pfn()));
            }
            if (os.size() > PFNS_PER_GROUP) {
                sb.append(" ... (").append(os.size() - PFNS_PER_GROUP).append(" more)");
            }
            sb.append("\n\n");
        }
        return sb.toString();
    }

    /** The kernel's spelling of a migrate type ("Unmovable"). */
    public static String typeName(MigrateType t) {
        String n = t.name();
        return n.charAt(0) + n.substring(1).toLowerCase();
    }
}
