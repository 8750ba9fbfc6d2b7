/** The RAM disk ({@code drivers/block/brd.c}): a sparse block device whose medium is memory-core pages. */
package org.fusefs.block.brd;
