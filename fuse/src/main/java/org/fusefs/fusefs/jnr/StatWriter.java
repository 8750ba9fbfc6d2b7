package org.fusefs.fusefs.jnr;

import org.fusefs.extent.InodeAttr;
import org.fusefs.extent.StatFs;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.Statvfs;

/** Copies our attribute records into libfuse's {@code struct stat} and {@code struct statvfs}. */
final class StatWriter {
    private static final long NS = 1_000_000_000L;

    private StatWriter() {
    }

    static void write(InodeAttr a, FileStat st) {
        st.st_ino.set(a.ino());
        st.st_mode.set(a.mode());
        st.st_nlink.set(a.nlink());
        st.st_uid.set(a.uid());
        st.st_gid.set(a.gid());
        st.st_rdev.set(a.rdev());
        st.st_size.set(a.size());
        st.st_blocks.set(a.blocks());
        st.st_blksize.set(a.blksize());
        st.st_atim.tv_sec.set(Math.floorDiv(a.atimeNs(), NS));
        st.st_atim.tv_nsec.set(Math.floorMod(a.atimeNs(), NS));
        st.st_mtim.tv_sec.set(Math.floorDiv(a.mtimeNs(), NS));
        st.st_mtim.tv_nsec.set(Math.floorMod(a.mtimeNs(), NS));
        st.st_ctim.tv_sec.set(Math.floorDiv(a.ctimeNs(), NS));
        st.st_ctim.tv_nsec.set(Math.floorMod(a.ctimeNs(), NS));
    }

    static void write(StatFs s, Statvfs st) {
        st.f_bsize.set(s.blockSize());
        st.f_frsize.set(s.blockSize());
        st.f_blocks.set(s.blocks());
        st.f_bfree.set(s.freeBlocks());
        st.f_bavail.set(s.availBlocks());
        st.f_files.set(s.files());
        st.f_ffree.set(s.freeFiles());
        st.f_favail.set(s.freeFiles());
        st.f_fsid.set(s.fsid());
        st.f_namemax.set(s.nameMax());
    }
}
