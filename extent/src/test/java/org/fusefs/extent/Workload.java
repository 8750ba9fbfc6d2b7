package org.fusefs.extent;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fusefs.uapi.FallocFlag;
import org.fusefs.uapi.FileMode;
import org.fusefs.uapi.OpenFlags;

/**
 * A seeded random mix of namespace and data operations for crash tests. It never overwrites file
 * bytes that a checkpoint already holds (it creates, appends, truncates to block boundaries,
 * punches whole blocks, renames, links, unlinks, makes and removes directories, symlinks and
 * xattrs): the journal makes metadata atomic, while data overwritten in place is new data in the
 * old state too, as in ext4's ordered mode.
 */
final class Workload {
    private static final int BS = 4096;

    private record Name(long dir, String name) {
    }

    private final ExtentFs fs;
    private final Random r;
    private final List<Long> dirs = new ArrayList<>();
    private final List<Name> files = new ArrayList<>();
    private int next;

    /** Picks up what already exists under the root (files and directories one level deep). */
    Workload(ExtentFs fs, long seed) {
        this.fs = fs;
        this.r = new Random(seed);
        dirs.add(Vfs.ROOT_INO);
        List<Long> scan = new ArrayList<>(List.of(Vfs.ROOT_INO));
        for (int k = 0; k < scan.size(); k++) {
            long d = scan.get(k);
            List<DirEntry> es = new ArrayList<>();
            fs.readdir(d, 0, e -> es.add(e));
            for (DirEntry e : es) {
                if (e.name().equals(".") || e.name().equals("..")) {
                    continue;
                }
                int mode = fs.getattr(e.ino()).mode();
                if (FileMode.isDir(mode)) {
                    dirs.add(e.ino());
                    scan.add(e.ino());
                } else if (FileMode.isReg(mode)) {
                    files.add(new Name(d, e.name()));
                }
                next = Math.max(next, suffix(e.name()) + 1);
            }
        }
    }

    private static int suffix(String name) {
        int k = name.lastIndexOf('-');
        try {
            return k < 0 ? 0 : Integer.parseInt(name.substring(k + 1));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private long ino(Name n) {
        return fs.lookup(n.dir(), n.name()).ino();
    }

    private void write(long ino, long pos, byte[] data) {
        OpenFile f = fs.open(ino, OpenFlags.O_WRONLY);
        try {
            fs.write(f, pos, data, 0, data.length);
        } finally {
            fs.release(f);
        }
    }

    /** Runs one operation; returns what it did (for failure messages). */
    String step() {
        int op = files.isEmpty() ? 0 : r.nextInt(13);
        long dir = dirs.get(r.nextInt(dirs.size()));
        switch (op) {
            case 0, 1 -> {
                String name = "f-" + next++;
                OpenFile f = fs.create(dir, name, 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0, 0);
                byte[] data = bytes(r.nextInt(12 * BS));
                fs.write(f, 0, data, 0, data.length);
                fs.release(f);
                files.add(new Name(dir, name));
                return "create " + name + " " + data.length;
            }
            case 2, 3 -> {
                Name n = files.get(r.nextInt(files.size()));
                long ino = ino(n);
                long size = fs.getattr(ino).size();
                byte[] data = bytes(1 + r.nextInt(6 * BS));
                write(ino, size, data);
                return "append " + n.name() + " " + data.length;
            }
            case 4 -> {
                Name n = files.get(r.nextInt(files.size()));
                long ino = ino(n);
                long size = fs.getattr(ino).size();
                long to = size == 0 ? 0 : (long) r.nextInt((int) (size / BS) + 1) * BS;
                fs.setattr(ino, SetAttr.size(to), null);
                return "truncate " + n.name() + " " + to;
            }
            case 5 -> {
                Name n = files.remove(r.nextInt(files.size()));
                fs.unlink(n.dir(), n.name());
                return "unlink " + n.name();
            }
            case 6 -> {
                int k = r.nextInt(files.size());
                Name n = files.get(k);
                Name to = new Name(dir, "r-" + next++);
                fs.rename(n.dir(), n.name(), to.dir(), to.name(), 0);
                files.set(k, to);
                return "rename " + n.name() + " " + to.name();
            }
            case 7 -> {
                String name = "d-" + next++;
                dirs.add(fs.mkdir(dir, name, 0755, 0, 0).ino());
                return "mkdir " + name;
            }
            case 8 -> {
                String name = "s-" + next++;
                String target = "t".repeat(r.nextBoolean() ? 20 : 200 + r.nextInt(3000));
                fs.symlink(dir, name, target, 0, 0);
                return "symlink " + name;
            }
            case 9 -> {
                Name n = files.get(r.nextInt(files.size()));
                fs.setxattr(ino(n), "user.x" + r.nextInt(3), bytes(r.nextInt(2000)), 0);
                return "setxattr " + n.name();
            }
            case 10 -> {
                Name n = files.get(r.nextInt(files.size()));
                long ino = ino(n);
                long blocks = fs.getattr(ino).size() / BS;
                if (blocks == 0) {
                    return "punch nothing";
                }
                long from = r.nextInt((int) blocks);
                long len = 1 + r.nextInt((int) (blocks - from));
                OpenFile f = fs.open(ino, OpenFlags.O_WRONLY);
                fs.fallocate(f, FallocFlag.PUNCH_HOLE | FallocFlag.KEEP_SIZE, from * BS, len * BS);
                fs.release(f);
                return "punch " + n.name() + " " + from + "+" + len;
            }
            case 11 -> {
                Name n = files.get(r.nextInt(files.size()));
                Name to = new Name(dir, "l-" + next++);
                fs.link(ino(n), to.dir(), to.name());
                files.add(to);
                return "link " + n.name() + " " + to.name();
            }
            default -> {
                Name n = files.get(r.nextInt(files.size()));
                long ino = ino(n);
                fs.setattr(ino, SetAttr.size(fs.getattr(ino).size() + r.nextInt(8 * BS)), null);
                return "extend " + n.name();
            }
        }
    }

    /** fsync of a random existing file (a checkpoint). */
    void fsyncSome() {
        Name n = files.get(r.nextInt(files.size()));
        OpenFile f = fs.open(ino(n), OpenFlags.O_RDONLY);
        try {
            fs.fsync(f, false);
        } finally {
            fs.release(f);
        }
    }
}
