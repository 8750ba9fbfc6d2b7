package org.fusefs.cli;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/** The {@code fusefs} command-line tool: dispatches to one command; clear messages, exit status. */
public final class Main {
    private static final String HELP = """
            usage: ./fusefs COMMAND [ARGS]

              mount [OPTIONS] MOUNTPOINT      mount a filesystem on a fresh RAM disk (foreground until
                                              Ctrl-C or SIGTERM; then it flushes and unmounts)
                --image IMAGE                 mount an image made by mkfs instead (data persists)
                --size SIZE                   RAM disk size (default 1G, 16M..64T)
                --memory SIZE                 simulated physical memory for the page cache (default 256M, 16M..64G)
                --threads N                   request threads (default 8, 1..64)
                --background                  return once the mount is ready; the daemon stays
                --page-owner                  record every allocation for `page-owner` (costs a backtrace each)
                -o OPT[,OPT...]               libfuse options; also size=, memory=, threads=
              umount [--lazy] MOUNTPOINT      unmount (also when the daemon was killed) and wait for the flush
              mkfs IMAGE --size SIZE          make an image file holding an empty filesystem
              stat MOUNTPOINT                 memory core (buddyinfo, pagetypeinfo, meminfo), page cache,
                                              device usage, daemon requests and CPU time
              extents FILE                    the file's extent map (unwritten extents marked)
              page-owner MOUNTPOINT           page_owner report of the memory core
              hwpoison FILE OFFSET            memory failure on the page caching that offset of the file
              memory-report [ARGS]            the buddy allocator's fragmentation experiment
              install-mount-helper [--dir DIR] [--remove]
                                              install /sbin/mount.fuse.fusefs for mount -t fuse.fusefs and fstab
              help                            this text

            Collapse/insert range and SEEK_DATA/SEEK_HOLE for unmodified programs:
              LD_PRELOAD=fuse/target/native/libfusefs-preload.so fallocate -c -o 4096 -l 4096 FILE
            """;

    private Main() {
    }

    public static void main(String[] args) {
        int status;
        try {
            status = run(Arrays.asList(args));
        } catch (CliException e) {
            System.err.println("fusefs: " + e.getMessage());
            status = e.status();
        } catch (IOException e) {
            System.err.println("fusefs: " + e.getMessage());
            status = CliException.FAILED;
        } catch (InterruptedException e) {
            System.err.println("fusefs: interrupted");
            status = CliException.FAILED;
        }
        System.out.flush();
        System.exit(status);
    }

    static int run(List<String> args) throws CliException, IOException, InterruptedException {
        if (args.isEmpty()) {
            System.err.print(HELP);
            return CliException.USAGE;
        }
        List<String> rest = args.subList(1, args.size());
        return switch (args.get(0)) {
            case "mount" -> MountCommand.run(rest);
            case "umount", "unmount" -> UmountCommand.run(rest);
            case "mkfs" -> MkfsCommand.run(rest);
            case "stat" -> ReportCommands.stat(rest);
            case "extents" -> ReportCommands.extents(rest);
            case "page-owner" -> ReportCommands.pageOwner(rest);
            case "hwpoison" -> ReportCommands.hwpoison(rest);
            case "memory-report" -> memoryReport(rest);
            case "install-mount-helper" -> InstallMountHelper.run(rest);
            case "help", "--help", "-h" -> {
                System.out.print(HELP);
                yield 0;
            }
            default -> throw CliException.usage("unknown command '" + args.get(0) + "' (./fusefs help lists them)");
        };
    }

    private static int memoryReport(List<String> args) throws CliException {
        try {
            org.fusefs.memory.tools.FragmentationReport.main(args.toArray(new String[0]));
            return 0;
        } catch (IllegalArgumentException e) {
            throw CliException.usage("memory-report: " + e.getMessage());
        } catch (Exception e) {
            throw CliException.failed("memory-report failed: " + e);
        }
    }
}
