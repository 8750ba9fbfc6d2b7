package org.fusefs.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code fusefs mount} was asked to do, checked: sizes in range, one mount point.
 *
 * @param image      the image file to mount, or null for a fresh RAM disk
 * @param size       RAM disk size in bytes (ignored with an image)
 * @param memory     size of the simulated physical memory (the page cache's memory core)
 * @param pageOwner  record every allocation of the memory core for {@code fusefs page-owner}; off by
 *                   default, as the kernel's {@code page_owner=on} boot option, because recording
 *                   costs a backtrace per allocation
 * @param fuseOptions extra {@code -o} options passed to libfuse
 * @param readyFd    internal: print a ready line on stdout when the mount answers (background child)
 */
record MountOptions(Path mountPoint, Path image, long size, long memory, int threads, boolean background,
        boolean pageOwner, List<String> fuseOptions, boolean debug, boolean readyLine) {

    static final long MIN_SIZE = 16L << 20;
    static final long MAX_SIZE = 64L << 40;
    static final long MIN_MEMORY = 16L << 20;
    static final long MAX_MEMORY = 64L << 30;
    static final long DEFAULT_SIZE = 1L << 30;
    static final long DEFAULT_MEMORY = 256L << 20;
    static final int DEFAULT_THREADS = 8;

    /** Options that fstab and mount(8) pass which mean nothing to us. */
    private static final List<String> IGNORED = List.of("defaults", "auto", "noauto", "user", "users",
            "nouser", "nofail", "_netdev", "rw", "dev", "suid", "exec", "async");

    static MountOptions parse(List<String> args) throws CliException {
        Path mountPoint = null;
        Path image = null;
        long size = DEFAULT_SIZE;
        long memory = DEFAULT_MEMORY;
        int threads = DEFAULT_THREADS;
        boolean background = false;
        boolean pageOwner = false;
        boolean debug = false;
        boolean ready = false;
        List<String> fuse = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--image" -> image = Path.of(value(args, ++i, a));
                case "--size" -> size = Sizes.parse(a, value(args, ++i, a), MIN_SIZE, MAX_SIZE);
                case "--memory" -> memory = Sizes.parse(a, value(args, ++i, a), MIN_MEMORY, MAX_MEMORY);
                case "--threads" -> threads = threads(a, value(args, ++i, a));
                case "--background", "-b" -> background = true;
                case "--page-owner" -> pageOwner = true;
                case "--foreground", "-f" -> background = false;
                case "--debug", "-d" -> debug = true;
                case "--ready-line" -> ready = true;
                case "-o" -> {
                    for (String o : value(args, ++i, a).split(",")) {
                        if (o.isEmpty() || IGNORED.contains(o)) {
                            continue;
                        }
                        int eq = o.indexOf('=');
                        String key = eq < 0 ? o : o.substring(0, eq);
                        String val = eq < 0 ? null : o.substring(eq + 1);
                        switch (key) {
                            case "size" -> size = Sizes.parse("-o size", val, MIN_SIZE, MAX_SIZE);
                            case "memory" -> memory = Sizes.parse("-o memory", val, MIN_MEMORY, MAX_MEMORY);
                            case "threads" -> threads = threads("-o threads", val);
                            case "page_owner" -> pageOwner = true;
                            default -> fuse.add(o);
                        }
                    }
                }
                default -> {
                    if (a.startsWith("-")) {
                        throw CliException.usage("mount: unknown option " + a + " (see ./fusefs help)");
                    }
                    if (mountPoint != null) {
                        throw CliException.usage("mount: more than one mount point: " + mountPoint + " and " + a);
                    }
                    mountPoint = Path.of(a);
                }
            }
        }
        if (mountPoint == null) {
            throw CliException.usage("mount: missing MOUNTPOINT (usage: ./fusefs mount [--image IMAGE] MOUNTPOINT)");
        }
        return new MountOptions(mountPoint, image, size, memory, threads, background, pageOwner, List.copyOf(fuse),
                debug, ready);
    }

    private static int threads(String opt, String v) throws CliException {
        try {
            int t = Integer.parseInt(v);
            if (t < 1 || t > 64) {
                throw CliException.usage(opt + ": " + v + " is out of range 1..64");
            }
            return t;
        } catch (NumberFormatException e) {
            throw CliException.usage(opt + ": '" + v + "' is not a number");
        }
    }

    static String value(List<String> args, int i, String opt) throws CliException {
        if (i >= args.size()) {
            throw CliException.usage(opt + " needs a value");
        }
        return args.get(i);
    }
}
