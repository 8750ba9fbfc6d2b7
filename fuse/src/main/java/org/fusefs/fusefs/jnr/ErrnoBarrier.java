package org.fusefs.fusefs.jnr;

import java.util.concurrent.atomic.LongAdder;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;

/**
 * The one place where an exception becomes a FUSE reply: an {@link ErrnoException} is the errno
 * the filesystem decided; anything else is a bug, answered with EIO and logged with its stack
 * trace so that it is never mistaken for a plausible errno. Every callback of
 * {@link JnrFuseAdapter} ends in {@code catch (Throwable t) { return ErrnoBarrier.reply(...); }}:
 * nothing escapes into jnr-ffi's closure code.
 */
final class ErrnoBarrier {
    private static final System.Logger LOG = System.getLogger(ErrnoBarrier.class.getName());
    private static final LongAdder BUGS = new LongAdder();

    private ErrnoBarrier() {
    }

    /** Returns the negative errno for {@code t} raised by operation {@code op} on {@code path}. */
    static int reply(String op, String path, Throwable t) {
        if (t instanceof ErrnoException e) {
            return -e.errno().code();
        }
        BUGS.increment();
        LOG.log(System.Logger.Level.ERROR, "fusefs: " + op + "(" + path + ") failed; answering EIO", t);
        return -Errno.EIO.code();
    }

    /** Number of unexpected exceptions answered with EIO since start. */
    static long bugs() {
        return BUGS.sum();
    }
}
