/**
 * File-backed block devices ({@code drivers/block/loop.c}): the image-file device over a host file
 * opened through libc (buffered or O_DIRECT), and later the loop device over any
 * {@link org.fusefs.block.BackingFile}.
 */
package org.fusefs.block.loop;
