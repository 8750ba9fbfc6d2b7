package org.fusefs.block;

/** The operation of a {@link Bio}, after {@code enum req_op} in {@code blk_types.h}. */
public enum ReqOp {
    READ, WRITE, FLUSH, DISCARD, WRITE_ZEROES;

    /** Whether the operation carries data pages. */
    public boolean hasData() {
        return this == READ || this == WRITE;
    }
}
