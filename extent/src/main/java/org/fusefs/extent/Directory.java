package org.fusefs.extent;

import java.util.Collection;
import java.util.HashMap;
import java.util.TreeMap;

/**
 * The entries of one directory: a hash by name for O(1) lookup in large directories and an
 * ordered map by cookie for readdir.
 *
 * <p>Each entry gets a cookie when it is created that never changes and is never reused while the
 * directory lives, so a readdir offset stays valid across concurrent creates and deletes: a listing
 * resumed at a cookie shows every entry that existed throughout, once. Cookies 0, 1 and 2 stand for
 * the start, "." and ".."; entries start at {@value #FIRST_COOKIE}. (ext4 gets the same property from
 * hash-ordered htree cookies; we keep an explicit creation order instead.)
 *
 * <p>Not thread-safe: guarded by the filesystem's namespace lock.
 */
final class Directory {
    static final long FIRST_COOKIE = 3;

    /** One name in the directory; {@code type} is the d_type (mode bits >>> 12). */
    record Entry(String name, long ino, int type, long cookie) {
    }

    private final HashMap<String, Entry> byName = new HashMap<>();
    private final TreeMap<Long, Entry> byCookie = new TreeMap<>();
    private long nextCookie = FIRST_COOKIE;
    /** The inode ".." names; the root is its own parent. */
    long parent;

    Entry get(String name) {
        return byName.get(name);
    }

    Entry add(String name, long ino, int type) {
        return put(new Entry(name, ino, type, nextCookie++));
    }

    /** Adds an entry read from the device, keeping its cookie. */
    void load(Entry e) {
        if (byCookie.containsKey(e.cookie()) || byName.containsKey(e.name())) {
            throw new IllegalStateException("duplicate directory entry " + e);
        }
        put(e);
        nextCookie = Math.max(nextCookie, e.cookie() + 1);
    }

    private Entry put(Entry e) {
        byName.put(e.name(), e);
        byCookie.put(e.cookie(), e);
        return e;
    }

    Entry remove(String name) {
        Entry e = byName.remove(name);
        if (e != null) {
            byCookie.remove(e.cookie());
        }
        return e;
    }

    /** Points an existing name at another inode, keeping its cookie (rename over an entry). */
    void replace(String name, long ino, int type) {
        Entry old = byName.get(name);
        put(new Entry(name, ino, type, old.cookie()));
    }

    int size() {
        return byName.size();
    }

    boolean isEmpty() {
        return byName.isEmpty();
    }

    long nextCookie() {
        return nextCookie;
    }

    void setNextCookie(long c) {
        nextCookie = Math.max(nextCookie, c);
    }

    /** Entries with cookie {@code >= cookie}, in cookie order (a live view). */
    Collection<Entry> from(long cookie) {
        return byCookie.tailMap(cookie, true).values();
    }

    Collection<Entry> all() {
        return byCookie.values();
    }
}
