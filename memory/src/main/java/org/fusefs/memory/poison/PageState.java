package org.fusefs.memory.poison;

import org.fusefs.memory.PageMapping;
import org.fusefs.memory.buddy.BuddyAllocator.FrameKind;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;

/**
 * A snapshot of a poisoned frame for the rule table: where it is and, when allocated, the head
 * of its block with that head's owner.
 */
record PageState(long pfn, Page page, FrameKind kind, Page head) {

    boolean is(FrameKind k) {
        return kind == k;
    }

    /** Returns the owner of the block, or {@code null}. */
    PageMapping owner() {
        return head == null ? null : head.mapping();
    }

    boolean headDirty() {
        return head != null && head.test(PageFlag.DIRTY);
    }
}
