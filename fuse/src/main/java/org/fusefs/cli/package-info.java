/**
 * The {@code fusefs} command-line tool run by the repository's {@code ./fusefs} launcher:
 * {@code mount} (foreground or background, on a RAM disk or an image), {@code umount},
 * {@code mkfs}, the live figures ({@code stat}, {@code extents}, {@code page-owner},
 * {@code hwpoison}), {@code memory-report} and {@code install-mount-helper}. User mistakes are
 * {@code CliException}s: one line on stderr, exit status 2 for usage, 1 for failures.
 */
package org.fusefs.cli;
