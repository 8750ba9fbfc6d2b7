package org.fusefs.uapi;

/**
 * Linux errno values, as a program on x86_64 sees them.
 *
 * <p>Mirrors {@code include/uapi/asm-generic/errno-base.h} and {@code errno.h}. The numbers are
 * the user-visible ABI; the FUSE layer passes {@code -code()} back to the kernel.
 */
public enum Errno {
    EPERM(1), ENOENT(2), ESRCH(3), EINTR(4), EIO(5), ENXIO(6), E2BIG(7), ENOEXEC(8), EBADF(9),
    ECHILD(10), EAGAIN(11), ENOMEM(12), EACCES(13), EFAULT(14), EBUSY(16), EEXIST(17), EXDEV(18),
    ENODEV(19), ENOTDIR(20), EISDIR(21), EINVAL(22), ENFILE(23), EMFILE(24), ENOTTY(25),
    ETXTBSY(26), EFBIG(27), ENOSPC(28), ESPIPE(29), EROFS(30), EMLINK(31), EPIPE(32), ERANGE(34),
    EDEADLK(35), ENAMETOOLONG(36), ENOLCK(37), ENOSYS(38), ENOTEMPTY(39), ELOOP(40),
    ENODATA(61), EOVERFLOW(75), EBADMSG(74), EUCLEAN(117), EOPNOTSUPP(95), ENOTCONN(107),
    ETIMEDOUT(110), EHWPOISON(133);

    private final int code;

    Errno(int code) {
        this.code = code;
    }

    /** Returns the positive errno number. */
    public int code() {
        return code;
    }

    /** Returns the constant for a positive errno number, or {@code null} if it is not listed. */
    public static Errno of(int code) {
        for (Errno e : values()) {
            if (e.code == code) {
                return e;
            }
        }
        return null;
    }
}
