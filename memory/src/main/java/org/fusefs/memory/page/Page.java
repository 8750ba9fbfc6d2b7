package org.fusefs.memory.page;

import com.kenai.jffi.MemoryIO;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import jnr.ffi.Pointer;
import org.fusefs.memory.PageMapping;
import org.fusefs.memory.buddy.MigrateType;

/**
 * One 4096-byte page frame of simulated physical memory: its flags, reference count and owner.
 *
 * <p>Mirrors {@code struct page}. The frame's bytes live off-heap at {@link #address()}; all copies
 * in and out are native memcpy. Flags and the reference count are updated atomically, so a page
 * may be inspected from any thread; its owner fields ({@link #mapping()}, {@link #index()}) are
 * published with volatile semantics and changed only by the page's current owner.
 *
 * <p>Page objects are created lazily by {@link MemMap} the first time a frame is handed out or
 * looked up, so that a 16 GiB memory does not cost four million objects up front. The allocator's
 * own bookkeeping (free lists, buddy orders) lives in primitive arrays of the zone; the
 * {@link PageFlag#BUDDY} bit here mirrors it for pages that exist.
 *
 * <p>Reference count: {@code PhysicalMemory.allocPages} returns the head with a count of 1; a
 * holder that wants the page to outlive its owner takes {@link #get()} and releases with
 * {@code PhysicalMemory.freePages} (which drops one reference and frees on the last one).
 * {@link #put()} only drops a reference and never frees; it is for counts that are known to stay
 * above zero.
 */
public final class Page {
    public static final int SIZE = 4096;
    public static final int SHIFT = 12;

    private static final MemoryIO IO = MemoryIO.getInstance();
    private static final VarHandle FLAGS;
    private static final VarHandle REFCOUNT;
    private static final VarHandle MAPPING;
    private static final VarHandle ORDER;
    private static final VarHandle MIGRATE_TYPE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            FLAGS = l.findVarHandle(Page.class, "flags", int.class);
            REFCOUNT = l.findVarHandle(Page.class, "refcount", int.class);
            MAPPING = l.findVarHandle(Page.class, "mapping", PageMapping.class);
            ORDER = l.findVarHandle(Page.class, "order", int.class);
            MIGRATE_TYPE = l.findVarHandle(Page.class, "migrateType", MigrateType.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long pfn;
    private final long address;
    private volatile int flags;
    private volatile int refcount;
    private volatile PageMapping mapping;
    private volatile long index;
    // Set by the allocator while it holds the zone lock; read by reports.
    private volatile int order;
    private volatile MigrateType migrateType = MigrateType.UNMOVABLE;

    public Page(long pfn, long address) {
        this.pfn = pfn;
        this.address = address;
    }

    /** Returns the page frame number. */
    public long pfn() {
        return pfn;
    }

    /** Returns the native address of the frame's first byte. */
    public long address() {
        return address;
    }

    /** Returns the flag bits; see {@link PageFlag#mask()}. */
    public int flags() {
        return flags;
    }

    public boolean test(PageFlag f) {
        return (flags & f.mask()) != 0;
    }

    public void set(PageFlag f) {
        int old;
        do {
            old = flags;
        } while (!FLAGS.compareAndSet(this, old, old | f.mask()));
    }

    public void clear(PageFlag f) {
        int old;
        do {
            old = flags;
        } while (!FLAGS.compareAndSet(this, old, old & ~f.mask()));
    }

    /** Sets {@code f} and returns whether it was already set (as {@code TestSetPageX}). */
    public boolean testAndSet(PageFlag f) {
        int old;
        do {
            old = flags;
            if ((old & f.mask()) != 0) {
                return true;
            }
        } while (!FLAGS.compareAndSet(this, old, old | f.mask()));
        return false;
    }

    /** Clears {@code f} and returns whether it was set (as {@code TestClearPageX}). */
    public boolean testAndClear(PageFlag f) {
        int old;
        do {
            old = flags;
            if ((old & f.mask()) == 0) {
                return false;
            }
        } while (!FLAGS.compareAndSet(this, old, old & ~f.mask()));
        return true;
    }

    /** Replaces all flag bits; for the allocator only, under its lock. */
    public void setFlagsRaw(int value) {
        flags = value;
    }

    /** Returns the reference count. */
    public int refcount() {
        return refcount;
    }

    /** Takes a reference. */
    public void get() {
        REFCOUNT.getAndAdd(this, 1);
    }

    /** Drops a reference and returns the new count; a negative count is a broken invariant. */
    public int put() {
        int now = (int) REFCOUNT.getAndAdd(this, -1) - 1;
        if (now < 0) {
            throw new IllegalStateException("page refcount below zero: " + this);
        }
        return now;
    }

    /** Sets the reference count; for the allocator only. */
    public void setRefcount(int value) {
        refcount = value;
    }

    /**
     * Drops one reference unless the count is already zero; returns the new count, or -1 when
     * the count was zero (nothing changed). For the allocator's free path.
     */
    public int putUnlessZero() {
        int old;
        do {
            old = refcount;
            if (old <= 0) {
                return -1;
            }
        } while (!REFCOUNT.compareAndSet(this, old, old - 1));
        return old - 1;
    }

    /**
     * Prepares a page the allocator is handing out: refcount 1, no owner, the given order and
     * type. For the allocator only. Release stores: the caller that receives the page is the only
     * one that may use it, and it publishes the page to other threads through its own structures.
     */
    public void prepareNew(int order, MigrateType type) {
        if (this.order != order) {
            ORDER.setRelease(this, order);
        }
        if (migrateType != type) {
            MIGRATE_TYPE.setRelease(this, type);
        }
        if (mapping != null) {
            MAPPING.setRelease(this, (PageMapping) null);
        }
        REFCOUNT.setRelease(this, 1);
    }

    /**
     * Clears the owner and every flag but {@link PageFlag#HWPOISON} of a page being freed. For the
     * allocator only.
     */
    public void resetOnFree() {
        if (mapping != null) {
            MAPPING.setRelease(this, (PageMapping) null);
        }
        int keep = PageFlag.HWPOISON.mask();
        int old;
        while (((old = flags) & ~keep) != 0) {
            if (FLAGS.compareAndSet(this, old, old & keep)) {
                break;
            }
        }
    }

    /** Returns the owner of this page, or {@code null}. */
    public PageMapping mapping() {
        return mapping;
    }

    /** Returns the page's index in its owner (a file page index, a device page number). */
    public long index() {
        return index;
    }

    /** Records the owner and the index within it; {@code null} detaches. */
    public void setMapping(PageMapping mapping, long index) {
        this.index = index;
        this.mapping = mapping;
    }

    public int order() {
        return order;
    }

    public void setOrder(int order) {
        this.order = order;
    }

    public MigrateType migrateType() {
        return migrateType;
    }

    public void setMigrateType(MigrateType migrateType) {
        this.migrateType = migrateType;
    }

    /** Copies {@code len} bytes at {@code off} in this page to native memory at {@code dst}. */
    public void copyTo(int off, long dst, int len) {
        checkRange(off, len);
        IO.copyMemory(address + off, dst, len);
    }

    /** Copies {@code len} bytes from native memory at {@code src} into this page at {@code off}. */
    public void copyFrom(long src, int off, int len) {
        checkRange(off, len);
        IO.copyMemory(src, address + off, len);
    }

    public void copyTo(int off, byte[] dst, int dstOff, int len) {
        checkRange(off, len);
        IO.getByteArray(address + off, dst, dstOff, len);
    }

    public void copyFrom(byte[] src, int srcOff, int off, int len) {
        checkRange(off, len);
        IO.putByteArray(address + off, src, srcOff, len);
    }

    /** Copies into {@code dst} from its position, advancing it; direct buffers copy natively. */
    public void copyTo(int off, ByteBuffer dst, int len) {
        checkRange(off, len);
        if (dst.isDirect()) {
            IO.copyMemory(address + off, IO.getDirectBufferAddress(dst) + dst.position(), len);
            dst.position(dst.position() + len);
        } else if (dst.hasArray()) {
            IO.getByteArray(address + off, dst.array(), dst.arrayOffset() + dst.position(), len);
            dst.position(dst.position() + len);
        } else {
            byte[] tmp = new byte[len];
            IO.getByteArray(address + off, tmp, 0, len);
            dst.put(tmp);
        }
    }

    /** Copies from {@code src} at its position, advancing it; direct buffers copy natively. */
    public void copyFrom(ByteBuffer src, int off, int len) {
        checkRange(off, len);
        if (src.isDirect()) {
            IO.copyMemory(IO.getDirectBufferAddress(src) + src.position(), address + off, len);
            src.position(src.position() + len);
        } else if (src.hasArray()) {
            IO.putByteArray(address + off, src.array(), src.arrayOffset() + src.position(), len);
            src.position(src.position() + len);
        } else {
            byte[] tmp = new byte[len];
            src.get(tmp);
            IO.putByteArray(address + off, tmp, 0, len);
        }
    }

    /**
     * Copies {@code len} bytes at {@code off} in this page to {@code dst} at {@code dstOff}: a
     * native memcpy for direct pointers, one bulk array copy for heap-backed ones.
     */
    public void copyTo(int off, Pointer dst, long dstOff, int len) {
        checkRange(off, len);
        if (dst.isDirect()) {
            checkPointer(dst, dstOff, len);
            IO.copyMemory(address + off, dst.address() + dstOff, len);
        } else if (dst.hasArray()) {
            checkPointer(dst, dstOff, len);
            IO.getByteArray(address + off, (byte[]) dst.array(), Math.toIntExact(dst.arrayOffset() + dstOff), len);
        } else {
            byte[] tmp = new byte[len];
            IO.getByteArray(address + off, tmp, 0, len);
            dst.put(dstOff, tmp, 0, len);
        }
    }

    /**
     * Copies {@code len} bytes from {@code src} at {@code srcOff} into this page at {@code off}: a
     * native memcpy for direct pointers, one bulk array copy for heap-backed ones.
     */
    public void copyFrom(Pointer src, long srcOff, int off, int len) {
        checkRange(off, len);
        if (src.isDirect()) {
            checkPointer(src, srcOff, len);
            IO.copyMemory(src.address() + srcOff, address + off, len);
        } else if (src.hasArray()) {
            checkPointer(src, srcOff, len);
            IO.putByteArray(address + off, (byte[]) src.array(), Math.toIntExact(src.arrayOffset() + srcOff), len);
        } else {
            byte[] tmp = new byte[len];
            src.get(srcOff, tmp, 0, len);
            IO.putByteArray(address + off, tmp, 0, len);
        }
    }

    private static void checkPointer(Pointer p, long off, int len) {
        long size = p.size();
        // size() is Long.MAX_VALUE for pointers of unknown extent (e.g. FUSE buffers).
        if (off < 0 || off + (long) len > size) {
            throw new IndexOutOfBoundsException(
                    "pointer range [" + off + ", " + (off + (long) len) + ") outside [0, " + size + ")");
        }
    }

    /** Copies {@code len} bytes from {@code src} page at {@code srcOff} into this page at {@code off}. */
    public void copyFrom(Page src, int srcOff, int off, int len) {
        src.checkRange(srcOff, len);
        checkRange(off, len);
        IO.copyMemory(src.address + srcOff, address + off, len);
    }

    /** Fills {@code len} bytes at {@code off} with zeros. */
    public void zero(int off, int len) {
        checkRange(off, len);
        IO.setMemory(address + off, len, (byte) 0);
    }

    private void checkRange(int off, int len) {
        // Copies may span a compound page of higher order.
        long limit = (long) SIZE << order;
        if (off < 0 || len < 0 || off + (long) len > limit) {
            throw new IndexOutOfBoundsException(
                    "page " + pfn + ": range [" + off + ", " + (off + (long) len) + ") outside [0, " + limit + ")");
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("pfn ").append(pfn).append(" flags [");
        String sep = "";
        for (PageFlag f : PageFlag.values()) {
            if (test(f)) {
                sb.append(sep).append(f.name().toLowerCase());
                sep = "|";
            }
        }
        sb.append("] refcount ").append(refcount).append(" order ").append(order)
                .append(' ').append(migrateType.name().toLowerCase());
        PageMapping m = mapping;
        if (m != null) {
            sb.append(" mapping ").append(m.describe()).append(" index ").append(index);
        }
        return sb.toString();
    }
}
