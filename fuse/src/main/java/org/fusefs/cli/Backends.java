package org.fusefs.cli;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;

/**
 * Opens the filesystem for a mount and makes new images. The system property
 * {@code fusefs.backend} may name a class with {@code static Backend open(Path image, long size,
 * long memory, boolean pageOwner)} and {@code static void mkfs(Path image, long size)} (tests use this for a test
 * double); otherwise the extent filesystem is used.
 */
final class Backends {
    static final String PROPERTY = "fusefs.backend";
    static final String DEFAULT = "org.fusefs.cli.ExtentBackend";

    private Backends() {
    }

    private static Class<?> backendClass() throws CliException {
        String name = System.getProperty(PROPERTY, DEFAULT);
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw CliException.failed("filesystem backend " + name + " is not on the class path"
                    + (DEFAULT.equals(name) ? " (the extent filesystem is not built into this version)" : ""));
        }
    }

    static Backend open(Path image, long size, long memory, boolean pageOwner) throws CliException, IOException {
        try {
            Method m = backendClass().getMethod("open", Path.class, long.class, long.class, boolean.class);
            return (Backend) m.invoke(null, image, size, memory, pageOwner);
        } catch (InvocationTargetException e) {
            throw unwrap(e);
        } catch (ReflectiveOperationException e) {
            throw CliException.failed("filesystem backend cannot be opened: " + e);
        }
    }

    static void mkfs(Path image, long size) throws CliException, IOException {
        try {
            Method m = backendClass().getMethod("mkfs", Path.class, long.class);
            m.invoke(null, image, size);
        } catch (InvocationTargetException e) {
            throw unwrap(e);
        } catch (ReflectiveOperationException e) {
            throw CliException.failed("filesystem backend cannot make images: " + e);
        }
    }

    private static IOException unwrap(InvocationTargetException e) throws CliException {
        Throwable c = e.getCause();
        if (c instanceof CliException ce) {
            throw ce;
        }
        if (c instanceof IOException io) {
            return io;
        }
        if (c instanceof RuntimeException re) {
            throw re;
        }
        if (c instanceof Error err) {
            throw err;
        }
        return new IOException(c);
    }
}
