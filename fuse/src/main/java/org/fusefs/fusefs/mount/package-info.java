/**
 * The host's mount table and {@code fusermount(1)}, shared by the daemon's mount lifecycle
 * ({@code lowlevel.LowLevelMount}) and the command-line tool ({@code fusefs umount}, the checks
 * before {@code fusefs mount}); nothing here knows the FUSE protocol.
 */
package org.fusefs.fusefs.mount;
