package org.fusefs.memory.owner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
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

    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    private final ConcurrentHashMap<Long, PageOwner> owners = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<ChainKey, List<String>> depot = new ConcurrentHashMap<>();
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
     * The call chain of the current allocation, interned. This runs on every allocation while
     * tracking is on (every page-cache page of a mounted filesystem), so a chain already in the
     * depot costs one stack walk and a lookup keyed by class, method and bytecode index; frames
     * are formatted into strings only the first time a chain is seen (formatting costs several
     * times the walk: it resolves file names and line numbers).
     */
    private List<String> captureStack() {
        return WALKER.walk(s -> {
            StackWalker.StackFrame[] frames = new StackWalker.StackFrame[STACK_DEPTH];
            int n = 0;
            Iterator<StackWalker.StackFrame> it = s.iterator();
            while (n < STACK_DEPTH && it.hasNext()) {
                StackWalker.StackFrame f = it.next();
                if (n > 0 || !isAllocatorFrame(f)) {
                    frames[n++] = f;
                }
            }
            ChainKey key = new ChainKey(frames, n);
            List<String> chain = depot.get(key);
            return chain != null ? chain : depot.computeIfAbsent(key, k -> format(frames, k.size()));
        });
    }

    private static List<String> format(StackWalker.StackFrame[] frames, int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            StackWalker.StackFrame f = frames[i];
            out.add(f.getClassName() + "." + f.getMethodName() + "(" + f.getFileName() + ":" + f.getLineNumber() + ")");
        }
        return List.copyOf(out);
    }

    private static boolean isAllocatorFrame(StackWalker.StackFrame f) {
        Class<?> c = f.getDeclaringClass();
        return c == PageOwnerTracker.class || c.getName().equals("org.fusefs.memory.buddy.BuddyAllocator")
                || c.getName().equals("org.fusefs.memory.PhysicalMemory");
    }

    /** A call chain by identity of its frames: declaring class, method name and bytecode index. */
    private static final class ChainKey {
        private final Class<?>[] classes;
        private final String[] methods;
        private final int[] bcis;
        private final int hash;

        ChainKey(StackWalker.StackFrame[] frames, int n) {
            classes = new Class<?>[n];
            methods = new String[n];
            bcis = new int[n];
            int h = n;
            for (int i = 0; i < n; i++) {
                classes[i] = frames[i].getDeclaringClass();
                methods[i] = frames[i].getMethodName();
                bcis[i] = frames[i].getByteCodeIndex();
                h = 31 * (31 * (31 * h + classes[i].hashCode()) + methods[i].hashCode()) + bcis[i];
            }
            hash = h;
        }

        int size() {
            return bcis.length;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ChainKey k && k.hash == hash && Arrays.equals(k.bcis, bcis)
                    && Arrays.equals(k.classes, classes) && Arrays.equals(k.methods, methods);
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
