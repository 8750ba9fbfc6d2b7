package org.fusefs.memory.poison;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLongArray;
import org.fusefs.memory.MfResult;
import org.fusefs.memory.PageMapping;
import org.fusefs.memory.buddy.BuddyAllocator;
import org.fusefs.memory.buddy.BuddyAllocator.FrameKind;
import org.fusefs.memory.buddy.BuddyAllocator.FrameState;
import org.fusefs.memory.page.Page;

/**
 * Handles a hardware memory failure of one frame: marks it poisoned, then classifies the frame and
 * runs the first matching row of an ordered table of page states.
 *
 * <p>Mirrors {@code memory_failure()} and {@code error_states[]} of {@code mm/memory-failure.c}.
 * A free frame is taken off the free lists for good; an allocated one is handed to its owner
 * ({@link PageMapping#memoryFailure}), which drops it and must not free it back; a reserved
 * frame cannot be recovered; a second poison is ignored. When an owner later frees a poisoned
 * frame, the allocator takes it out of use instead (see {@link BuddyAllocator#freePages}).
 * Every outcome goes through {@link #actionResult}.
 *
 * <p>Locking: called with no allocator lock held; takes the zone lock only inside the
 * allocator's methods, and calls owners with no allocator lock held.
 *
 * <p>For a frame inside a block of higher order, the owner is handed the block's head page;
 * the frame itself carries the poison flag and is kept out of use when the block is freed.
 */
public final class MemoryFailure {
    private static final System.Logger LOG = System.getLogger("org.fusefs.memory.poison");
    private static final int MAX_ATTEMPTS = 4;
    private static final int RECENT = 64;

    private final BuddyAllocator allocator;
    private final List<PageStateRule> rules;
    private final AtomicLongArray results = new AtomicLongArray(MfResult.values().length);
    private final ConcurrentLinkedDeque<String> recent = new ConcurrentLinkedDeque<>();

    public MemoryFailure(BuddyAllocator allocator) {
        this.allocator = allocator;
        // Matched in order; the first row whose predicate holds decides.
        this.rules = List.of(
                new PageStateRule("reserved kernel page", s -> s.is(FrameKind.RESERVED), s -> MfResult.FAILED),
                // Only this poisoning can have taken the frame offline (the flag was clear): a
                // per-CPU free frame is taken out of use by the drain that settles the race.
                new PageStateRule("free page taken offline", s -> s.is(FrameKind.OFFLINE), s -> MfResult.RECOVERED),
                // Taken off the free lists by setHwPoison, under the same lock as the mark.
                new PageStateRule("free buddy page", s -> s.is(FrameKind.FREE), s -> MfResult.RECOVERED),
                new PageStateRule("free per-CPU page", s -> s.is(FrameKind.IN_FLIGHT), this::mePcp),
                new PageStateRule("dirty page cache page",
                        s -> s.is(FrameKind.ALLOCATED) && s.owner() != null && s.headDirty(), this::meOwner),
                new PageStateRule("clean page cache page",
                        s -> s.is(FrameKind.ALLOCATED) && s.owner() != null, this::meOwner),
                new PageStateRule("unknown page", s -> true, s -> MfResult.FAILED));
    }

    /**
     * Reports a hardware memory failure of frame {@code pfn} and returns what was done.
     *
     * @throws IllegalArgumentException if {@code pfn} is outside the memory
     */
    public MfResult memoryFailure(long pfn) {
        if (pfn < 0 || pfn >= allocator.zone().nrPages()) {
            throw new IllegalArgumentException("pfn " + pfn + " outside 0.." + (allocator.zone().nrPages() - 1));
        }
        FrameState fs = allocator.setHwPoison((int) pfn);
        if (fs == null) {
            return actionResult(pfn, "already poisoned page", MfResult.IGNORED);
        }
        Page page = allocator.pfnToPage((int) pfn);
        if (fs.kind() != FrameKind.FREE && fs.kind() != FrameKind.RESERVED) {
            // The frame may sit on a per-CPU list or be on its way there: the drain puts it
            // offline (every path out of a per-CPU list checks the flag), then look again.
            allocator.drainAllPages();
            fs = allocator.classify((int) pfn);
        }
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            if (attempt > 0) {
                fs = allocator.classify((int) pfn);
            }
            PageState state = new PageState(pfn, page, fs.kind(), fs.head());
            for (PageStateRule rule : rules) {
                if (rule.matches().test(state)) {
                    MfResult r = rule.handler().handle(state);
                    if (r != null) {
                        return actionResult(pfn, rule.type(), r);
                    }
                    break;
                }
            }
        }
        return actionResult(pfn, "page changing state", MfResult.DELAYED);
    }

    private MfResult mePcp(PageState s) {
        // Freed to a per-CPU list after the drain; drain again and look once more.
        allocator.drainAllPages();
        return null;
    }

    private MfResult meOwner(PageState s) {
        PageMapping owner = s.owner();
        MfResult r = owner.memoryFailure(s.head());
        if (r == null) {
            throw new IllegalStateException("owner " + owner.describe() + " returned no result for " + s.head());
        }
        return r;
    }

    /** Records and logs the outcome for {@code pfn}. Mirrors {@code action_result()}. */
    private MfResult actionResult(long pfn, String type, MfResult result) {
        results.incrementAndGet(result.ordinal());
        String msg = String.format("Memory failure: %#x: recovery action for %s: %s", pfn, type, result);
        recent.addLast(msg);
        while (recent.size() > RECENT) {
            recent.pollFirst();
        }
        // A frame that could not be isolated is worth a warning; the rest is in recentActions().
        LOG.log(result == MfResult.RECOVERED || result == MfResult.IGNORED
                ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING, msg);
        return result;
    }

    /** Returns how many failures ended with {@code r}. */
    public long count(MfResult r) {
        return results.get(r.ordinal());
    }

    /** Returns the most recent action lines, oldest first. */
    public List<String> recentActions() {
        return new ArrayList<>(recent);
    }
}
