package org.fusefs.fusefs.lowlevel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fusefs.fusefs.testing.Capabilities;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every offset, size and flag the low-level adapter writes by hand, checked against libfuse 2.9's
 * and the kernel's headers compiled with gcc (x86_64, {@code _FILE_OFFSET_BITS=64}).
 */
class LowLevelLayoutTest {
    private static final Map<String, Long> C = new HashMap<>();

    private static final String PROGRAM = """
            #define FUSE_USE_VERSION 26
            #include <fuse_lowlevel.h>
            #include <linux/fuse.h>
            #include <stddef.h>
            #include <stdio.h>
            #include <sys/stat.h>
            #include <sys/statvfs.h>
            #define P(name, value) printf("%s=%ld\\n", name, (long) (value))
            #define OFF(t, f) P(#t "." #f, offsetof(struct t, f))
            #define OP(f) P("op." #f, offsetof(struct fuse_lowlevel_ops, f) / sizeof(void *))
            int main(void) {
                P("stat", sizeof(struct stat));
                OFF(stat, st_ino); OFF(stat, st_nlink); OFF(stat, st_mode); OFF(stat, st_uid);
                OFF(stat, st_gid); OFF(stat, st_rdev); OFF(stat, st_size); OFF(stat, st_blksize);
                OFF(stat, st_blocks); OFF(stat, st_atim); OFF(stat, st_mtim); OFF(stat, st_ctim);
                P("timespec.tv_nsec", offsetof(struct timespec, tv_nsec));
                P("statvfs", sizeof(struct statvfs));
                OFF(statvfs, f_bsize); OFF(statvfs, f_frsize); OFF(statvfs, f_blocks); OFF(statvfs, f_bfree);
                OFF(statvfs, f_bavail); OFF(statvfs, f_files); OFF(statvfs, f_ffree); OFF(statvfs, f_favail);
                OFF(statvfs, f_fsid); OFF(statvfs, f_flag); OFF(statvfs, f_namemax);
                P("fuse_entry_param", sizeof(struct fuse_entry_param));
                OFF(fuse_entry_param, ino); OFF(fuse_entry_param, generation); OFF(fuse_entry_param, attr);
                OFF(fuse_entry_param, attr_timeout); OFF(fuse_entry_param, entry_timeout);
                P("fuse_file_info", sizeof(struct fuse_file_info));
                OFF(fuse_file_info, flags); OFF(fuse_file_info, fh);
                { /* the bit-field word follows writepage */
                  union { struct fuse_file_info fi; unsigned char b[sizeof(struct fuse_file_info)]; } u;
                  int i; long at = -1, bits = 0;
                  memset(&u, 0, sizeof u); u.fi.direct_io = 1;
                  for (i = 0; i < (int) sizeof u; i++) if (u.b[i]) { at = i; bits = u.b[i]; }
                  P("fi.direct_io.byte", at); P("fi.direct_io.bit", bits);
                  memset(&u, 0, sizeof u); u.fi.keep_cache = 1;
                  for (i = 0; i < (int) sizeof u; i++) if (u.b[i]) { at = i; bits = u.b[i]; }
                  P("fi.keep_cache.byte", at); P("fi.keep_cache.bit", bits);
                }
                OFF(fuse_ctx, uid); OFF(fuse_ctx, gid); OFF(fuse_ctx, pid); OFF(fuse_ctx, umask);
                OFF(fuse_conn_info, max_write); OFF(fuse_conn_info, max_readahead);
                OFF(fuse_conn_info, capable); OFF(fuse_conn_info, want);
                P("FUSE_CAP_BIG_WRITES", FUSE_CAP_BIG_WRITES); P("FUSE_CAP_IOCTL_DIR", FUSE_CAP_IOCTL_DIR);
                P("fuse_forget_data", sizeof(struct fuse_forget_data));
                P("fuse_args", sizeof(struct fuse_args));
                OFF(fuse_args, argc); OFF(fuse_args, argv); OFF(fuse_args, allocated);
                P("fuse_buf", sizeof(struct fuse_buf));
                OFF(fuse_buf, flags); OFF(fuse_buf, mem); OFF(fuse_buf, fd); OFF(fuse_buf, pos);
                P("fuse_entry_out", sizeof(struct fuse_entry_out));
                OFF(fuse_entry_out, nodeid); OFF(fuse_entry_out, generation); OFF(fuse_entry_out, entry_valid);
                OFF(fuse_entry_out, attr_valid); OFF(fuse_entry_out, entry_valid_nsec);
                OFF(fuse_entry_out, attr_valid_nsec); OFF(fuse_entry_out, attr);
                P("fuse_attr", sizeof(struct fuse_attr));
                OFF(fuse_attr, ino); OFF(fuse_attr, size); OFF(fuse_attr, blocks); OFF(fuse_attr, atime);
                OFF(fuse_attr, mtime); OFF(fuse_attr, ctime); OFF(fuse_attr, atimensec); OFF(fuse_attr, mtimensec);
                OFF(fuse_attr, ctimensec); OFF(fuse_attr, mode); OFF(fuse_attr, nlink); OFF(fuse_attr, uid);
                OFF(fuse_attr, gid); OFF(fuse_attr, rdev); OFF(fuse_attr, blksize);
                P("fuse_open_out", sizeof(struct fuse_open_out));
                OFF(fuse_open_out, fh); OFF(fuse_open_out, open_flags);
                P("FOPEN_KEEP_CACHE", FOPEN_KEEP_CACHE); P("FOPEN_NOFLUSH", FOPEN_NOFLUSH);
                P("FOPEN_CACHE_DIR", FOPEN_CACHE_DIR);
                OFF(fuse_dirent, ino); OFF(fuse_dirent, off); OFF(fuse_dirent, namelen); OFF(fuse_dirent, type);
                OFF(fuse_dirent, name);
                P("SET_ATTR_MODE", FUSE_SET_ATTR_MODE); P("SET_ATTR_UID", FUSE_SET_ATTR_UID);
                P("SET_ATTR_GID", FUSE_SET_ATTR_GID); P("SET_ATTR_SIZE", FUSE_SET_ATTR_SIZE);
                P("SET_ATTR_ATIME", FUSE_SET_ATTR_ATIME); P("SET_ATTR_MTIME", FUSE_SET_ATTR_MTIME);
                P("SET_ATTR_ATIME_NOW", FUSE_SET_ATTR_ATIME_NOW); P("SET_ATTR_MTIME_NOW", FUSE_SET_ATTR_MTIME_NOW);
                P("fuse_lowlevel_ops", sizeof(struct fuse_lowlevel_ops));
                OP(init); OP(destroy); OP(lookup); OP(forget); OP(getattr); OP(setattr); OP(readlink);
                OP(mknod); OP(mkdir); OP(unlink); OP(rmdir); OP(symlink); OP(rename); OP(link); OP(open);
                OP(read); OP(write); OP(flush); OP(release); OP(fsync); OP(opendir); OP(readdir);
                OP(releasedir); OP(fsyncdir); OP(statfs); OP(setxattr); OP(getxattr); OP(listxattr);
                OP(removexattr); OP(access); OP(create); OP(getlk); OP(setlk); OP(bmap); OP(ioctl); OP(poll);
                OP(write_buf); OP(retrieve_reply); OP(forget_multi); OP(flock); OP(fallocate);
                return 0;
            }
            """;

    @BeforeAll
    static void compile() throws Exception {
        Capabilities.require(Files.exists(Path.of("/usr/include/fuse/fuse_lowlevel.h")), "libfuse-dev headers");
        Capabilities.require(Capabilities.onPath("gcc"), "gcc");
        Path dir = Files.createTempDirectory("fusefs-ll-layout-");
        try {
            Path src = dir.resolve("layout.c");
            Path exe = dir.resolve("layout");
            Files.writeString(src, "#include <string.h>\n" + PROGRAM);
            var cc = Capabilities.run(List.of("gcc", "-Wall", "-Werror", "-D_FILE_OFFSET_BITS=64",
                    "-I/usr/include/fuse", "-o", exe.toString(), src.toString()), null, 60);
            assertEquals(0, cc.status(), cc.output());
            var r = Capabilities.run(List.of(exe.toString()), null, 30);
            assertEquals(0, r.status(), r.output());
            for (String line : r.output().split("\n")) {
                String[] kv = line.split("=");
                C.put(kv[0], Long.parseLong(kv[1]));
            }
        } finally {
            try (var s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    private static void check(String cName, long javaValue) {
        Long c = C.get(cName);
        assertNotNull(c, cName + " not printed by the C program");
        assertEquals(c.longValue(), javaValue, cName);
    }

    @Test
    void stat_matchesGlibc() {
        check("stat", NativeLayout.STAT_SIZE);
        check("stat.st_ino", NativeLayout.ST_INO);
        check("stat.st_nlink", NativeLayout.ST_NLINK);
        check("stat.st_mode", NativeLayout.ST_MODE);
        check("stat.st_uid", NativeLayout.ST_UID);
        check("stat.st_gid", NativeLayout.ST_GID);
        check("stat.st_rdev", NativeLayout.ST_RDEV);
        check("stat.st_size", NativeLayout.ST_SIZE);
        check("stat.st_blksize", NativeLayout.ST_BLKSIZE);
        check("stat.st_blocks", NativeLayout.ST_BLOCKS);
        check("stat.st_atim", NativeLayout.ST_ATIME);
        check("stat.st_mtim", NativeLayout.ST_MTIME);
        check("stat.st_ctim", NativeLayout.ST_CTIME);
        long nsec = C.get("timespec.tv_nsec");
        assertEquals(NativeLayout.ST_ATIME + nsec, NativeLayout.ST_ATIME_NSEC);
        assertEquals(NativeLayout.ST_MTIME + nsec, NativeLayout.ST_MTIME_NSEC);
        assertEquals(NativeLayout.ST_CTIME + nsec, NativeLayout.ST_CTIME_NSEC);
    }

    @Test
    void statvfs_matchesGlibc() {
        check("statvfs", NativeLayout.STATVFS_SIZE);
        check("statvfs.f_bsize", NativeLayout.F_BSIZE);
        check("statvfs.f_frsize", NativeLayout.F_FRSIZE);
        check("statvfs.f_blocks", NativeLayout.F_BLOCKS);
        check("statvfs.f_bfree", NativeLayout.F_BFREE);
        check("statvfs.f_bavail", NativeLayout.F_BAVAIL);
        check("statvfs.f_files", NativeLayout.F_FILES);
        check("statvfs.f_ffree", NativeLayout.F_FFREE);
        check("statvfs.f_favail", NativeLayout.F_FAVAIL);
        check("statvfs.f_fsid", NativeLayout.F_FSID);
        check("statvfs.f_flag", NativeLayout.F_FLAG);
        check("statvfs.f_namemax", NativeLayout.F_NAMEMAX);
    }

    @Test
    void kernelReplyStructs_match() {
        check("fuse_entry_out", NativeLayout.ENTRY_OUT_SIZE);
        check("fuse_entry_out.nodeid", NativeLayout.EO_NODEID);
        check("fuse_entry_out.generation", NativeLayout.EO_GENERATION);
        check("fuse_entry_out.entry_valid", NativeLayout.EO_ENTRY_VALID);
        check("fuse_entry_out.attr_valid", NativeLayout.EO_ATTR_VALID);
        check("fuse_entry_out.entry_valid_nsec", NativeLayout.EO_ENTRY_VALID_NSEC);
        check("fuse_entry_out.attr_valid_nsec", NativeLayout.EO_ATTR_VALID_NSEC);
        check("fuse_entry_out.attr", NativeLayout.EO_ATTR);
        check("fuse_attr", NativeLayout.ENTRY_OUT_SIZE - NativeLayout.EO_ATTR);
        check("fuse_attr.ino", NativeLayout.FA_INO);
        check("fuse_attr.size", NativeLayout.FA_SIZE);
        check("fuse_attr.blocks", NativeLayout.FA_BLOCKS);
        check("fuse_attr.atime", NativeLayout.FA_ATIME);
        check("fuse_attr.mtime", NativeLayout.FA_MTIME);
        check("fuse_attr.ctime", NativeLayout.FA_CTIME);
        check("fuse_attr.atimensec", NativeLayout.FA_ATIMENSEC);
        check("fuse_attr.mtimensec", NativeLayout.FA_MTIMENSEC);
        check("fuse_attr.ctimensec", NativeLayout.FA_CTIMENSEC);
        check("fuse_attr.mode", NativeLayout.FA_MODE);
        check("fuse_attr.nlink", NativeLayout.FA_NLINK);
        check("fuse_attr.uid", NativeLayout.FA_UID);
        check("fuse_attr.gid", NativeLayout.FA_GID);
        check("fuse_attr.rdev", NativeLayout.FA_RDEV);
        check("fuse_attr.blksize", NativeLayout.FA_BLKSIZE);
        check("fuse_open_out", NativeLayout.OPEN_OUT_SIZE);
        check("fuse_open_out.fh", NativeLayout.OO_FH);
        check("fuse_open_out.open_flags", NativeLayout.OO_OPEN_FLAGS);
        check("FOPEN_KEEP_CACHE", NativeLayout.FOPEN_KEEP_CACHE);
        check("FOPEN_NOFLUSH", NativeLayout.FOPEN_NOFLUSH);
        check("FOPEN_CACHE_DIR", NativeLayout.FOPEN_CACHE_DIR);
    }

    @Test
    void libfuseStructs_match() {
        check("fuse_entry_param", NativeLayout.ENTRY_SIZE);
        check("fuse_entry_param.ino", NativeLayout.ENTRY_INO);
        check("fuse_entry_param.generation", NativeLayout.ENTRY_GENERATION);
        check("fuse_entry_param.attr", NativeLayout.ENTRY_ATTR);
        check("fuse_entry_param.attr_timeout", NativeLayout.ENTRY_ATTR_TIMEOUT);
        check("fuse_entry_param.entry_timeout", NativeLayout.ENTRY_ENTRY_TIMEOUT);
        check("fuse_file_info", NativeLayout.FI_SIZE);
        check("fuse_file_info.flags", NativeLayout.FI_FLAGS);
        check("fuse_file_info.fh", NativeLayout.FI_FH);
        check("fi.direct_io.byte", NativeLayout.FI_BITS);
        check("fi.direct_io.bit", NativeLayout.FI_DIRECT_IO);
        check("fi.keep_cache.byte", NativeLayout.FI_BITS);
        check("fi.keep_cache.bit", NativeLayout.FI_KEEP_CACHE);
        check("fuse_ctx.uid", NativeLayout.CTX_UID);
        check("fuse_ctx.gid", NativeLayout.CTX_GID);
        check("fuse_ctx.pid", NativeLayout.CTX_PID);
        check("fuse_ctx.umask", NativeLayout.CTX_UMASK);
        check("fuse_conn_info.max_write", NativeLayout.CONN_MAX_WRITE);
        check("fuse_conn_info.max_readahead", NativeLayout.CONN_MAX_READAHEAD);
        check("fuse_conn_info.capable", NativeLayout.CONN_CAPABLE);
        check("fuse_conn_info.want", NativeLayout.CONN_WANT);
        check("FUSE_CAP_BIG_WRITES", NativeLayout.FUSE_CAP_BIG_WRITES);
        check("FUSE_CAP_IOCTL_DIR", NativeLayout.FUSE_CAP_IOCTL_DIR);
        check("fuse_forget_data", NativeLayout.FORGET_DATA_SIZE);
        check("fuse_args", NativeLayout.ARGS_SIZE);
        check("fuse_args.argc", NativeLayout.ARGS_ARGC);
        check("fuse_args.argv", NativeLayout.ARGS_ARGV);
        check("fuse_args.allocated", NativeLayout.ARGS_ALLOCATED);
        check("fuse_buf", NativeLayout.FUSE_BUF_SIZE);
        check("fuse_buf.flags", NativeLayout.FUSE_BUF_FLAGS);
        check("fuse_buf.mem", NativeLayout.FUSE_BUF_MEM);
        check("fuse_buf.fd", NativeLayout.FUSE_BUF_FD);
        check("fuse_buf.pos", NativeLayout.FUSE_BUF_POS);
        check("fuse_dirent.ino", NativeLayout.DIRENT_INO);
        check("fuse_dirent.off", NativeLayout.DIRENT_OFF);
        check("fuse_dirent.namelen", NativeLayout.DIRENT_NAMELEN);
        check("fuse_dirent.type", NativeLayout.DIRENT_TYPE);
        check("fuse_dirent.name", NativeLayout.DIRENT_NAME);
    }

    @Test
    void setattrBits_match() {
        check("SET_ATTR_MODE", NativeLayout.SET_ATTR_MODE);
        check("SET_ATTR_UID", NativeLayout.SET_ATTR_UID);
        check("SET_ATTR_GID", NativeLayout.SET_ATTR_GID);
        check("SET_ATTR_SIZE", NativeLayout.SET_ATTR_SIZE);
        check("SET_ATTR_ATIME", NativeLayout.SET_ATTR_ATIME);
        check("SET_ATTR_MTIME", NativeLayout.SET_ATTR_MTIME);
        check("SET_ATTR_ATIME_NOW", NativeLayout.SET_ATTR_ATIME_NOW);
        check("SET_ATTR_MTIME_NOW", NativeLayout.SET_ATTR_MTIME_NOW);
    }

    @Test
    void lowLevelOpsSlots_match() {
        check("fuse_lowlevel_ops", LowLevelOps.OPS_SIZE);
        check("op.init", LowLevelOps.INIT);
        check("op.destroy", LowLevelOps.DESTROY);
        check("op.lookup", LowLevelOps.LOOKUP);
        check("op.forget", LowLevelOps.FORGET);
        check("op.getattr", LowLevelOps.GETATTR);
        check("op.setattr", LowLevelOps.SETATTR);
        check("op.readlink", LowLevelOps.READLINK);
        check("op.mknod", LowLevelOps.MKNOD);
        check("op.mkdir", LowLevelOps.MKDIR);
        check("op.unlink", LowLevelOps.UNLINK);
        check("op.rmdir", LowLevelOps.RMDIR);
        check("op.symlink", LowLevelOps.SYMLINK);
        check("op.rename", LowLevelOps.RENAME);
        check("op.link", LowLevelOps.LINK);
        check("op.open", LowLevelOps.OPEN);
        check("op.read", LowLevelOps.READ);
        check("op.write", LowLevelOps.WRITE);
        check("op.flush", LowLevelOps.FLUSH);
        check("op.release", LowLevelOps.RELEASE);
        check("op.fsync", LowLevelOps.FSYNC);
        check("op.opendir", LowLevelOps.OPENDIR);
        check("op.readdir", LowLevelOps.READDIR);
        check("op.releasedir", LowLevelOps.RELEASEDIR);
        check("op.fsyncdir", LowLevelOps.FSYNCDIR);
        check("op.statfs", LowLevelOps.STATFS);
        check("op.setxattr", LowLevelOps.SETXATTR);
        check("op.getxattr", LowLevelOps.GETXATTR);
        check("op.listxattr", LowLevelOps.LISTXATTR);
        check("op.removexattr", LowLevelOps.REMOVEXATTR);
        check("op.access", LowLevelOps.ACCESS);
        check("op.create", LowLevelOps.CREATE);
        check("op.getlk", LowLevelOps.GETLK);
        check("op.setlk", LowLevelOps.SETLK);
        check("op.bmap", LowLevelOps.BMAP);
        check("op.ioctl", LowLevelOps.IOCTL);
        check("op.poll", LowLevelOps.POLL);
        check("op.write_buf", LowLevelOps.WRITE_BUF);
        check("op.retrieve_reply", LowLevelOps.RETRIEVE_REPLY);
        check("op.forget_multi", LowLevelOps.FORGET_MULTI);
        check("op.flock", LowLevelOps.FLOCK);
        check("op.fallocate", LowLevelOps.FALLOCATE);
    }
}
