package org.fusefs.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fusefs.fusefs.ops.FusefsIoctl;

/** {@code stat}, {@code extents}, {@code page-owner} and {@code hwpoison}: figures asked of a live mount. */
final class ReportCommands {
    private ReportCommands() {
    }

    static int stat(List<String> args) throws CliException, IOException {
        return report(one(args, "stat MOUNTPOINT"), FusefsIoctl.REPORT_STAT);
    }

    static int pageOwner(List<String> args) throws CliException, IOException {
        return report(one(args, "page-owner MOUNTPOINT"), FusefsIoctl.REPORT_PAGE_OWNER);
    }

    static int extents(List<String> args) throws CliException, IOException {
        Path file = one(args, "extents FILE");
        if (!Files.isRegularFile(file)) {
            throw CliException.failed(file + " is not a regular file");
        }
        return report(file, FusefsIoctl.REPORT_EXTENTS);
    }

    static int hwpoison(List<String> args) throws CliException, IOException {
        if (args.size() != 2) {
            throw CliException.usage("usage: ./fusefs hwpoison FILE OFFSET");
        }
        Path file = existing(args.get(0));
        long offset;
        try {
            offset = Sizes.parse("OFFSET", args.get(1), 0, Long.MAX_VALUE);
        } catch (CliException e) {
            throw CliException.usage("hwpoison: OFFSET '" + args.get(1) + "' is not a byte offset");
        }
        long size = Files.size(file);
        if (offset >= size) {
            throw CliException.usage("hwpoison: offset " + offset + " is at or past the end of " + file
                    + " (size " + size + ")");
        }
        try (IoctlClient c = IoctlClient.open(file)) {
            System.out.println(c.hwpoison(offset));
        } catch (IOException e) {
            throw CliException.failed(e.getMessage());
        }
        return 0;
    }

    private static int report(Path target, int kind) throws CliException {
        try (IoctlClient c = IoctlClient.open(target)) {
            System.out.print(c.report(kind));
            System.out.flush();
            return 0;
        } catch (IOException e) {
            throw CliException.failed(e.getMessage());
        }
    }

    private static Path one(List<String> args, String usage) throws CliException {
        if (args.size() != 1) {
            throw CliException.usage("usage: ./fusefs " + usage);
        }
        return existing(args.get(0));
    }

    private static Path existing(String name) throws CliException {
        Path p = Path.of(name);
        if (!Files.exists(p)) {
            throw CliException.failed(name + " does not exist");
        }
        return p;
    }
}
