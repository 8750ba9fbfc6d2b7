package org.fusefs.block;

import org.fusefs.memory.page.Page;

/** One segment of a {@link Bio}: bytes {@code [offset, offset+length)} of a page ({@code struct bio_vec}). */
public record BioVec(Page page, int offset, int length) {
    public BioVec {
        if (offset < 0 || length <= 0 || offset + length > (Page.SIZE << page.order())) {
            throw new IllegalArgumentException("bio_vec [" + offset + ", +" + length + ") outside page " + page.pfn());
        }
    }
}
