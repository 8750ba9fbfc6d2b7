package org.fusefs.block.loop;

import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The few libc calls a host image file needs that the JDK does not offer on a file descriptor:
 * fallocate (hole punching), O_DIRECT opens, and pread/pwrite straight from a page frame's native
 * address. Internal to the block layer; public only because jnr-ffi generates its implementation
 * in another class loader.
 *
 * <p>Buffers are passed as {@code intptr_t} addresses, so a call allocates no wrapper object.
 * Every call saves errno for {@link jnr.ffi.LastError}.
 */
public interface LibC {
    int SEEK_END = 2;
    int O_CLOEXEC = 02000000;

    int open(String path, int flags, int mode);

    int close(int fd);

    @ssize_t long pread(int fd, @intptr_t long buf, @size_t long count, @off_t long offset);

    @ssize_t long pwrite(int fd, @intptr_t long buf, @size_t long count, @off_t long offset);

    int fallocate(int fd, int mode, @off_t long offset, @off_t long len);

    int fsync(int fd);

    int fdatasync(int fd);

    int ftruncate(int fd, @off_t long length);

    @off_t long lseek(int fd, @off_t long offset, int whence);

    String strerror(int errnum);

    /** Loads libc once. */
    static LibC load() {
        return LibraryLoader.create(LibC.class).option(LibraryOption.SaveError, true).load("c");
    }
}
