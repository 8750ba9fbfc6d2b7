package org.fusefs.memory.poison;

import java.util.function.Predicate;
import org.fusefs.memory.MfResult;

/**
 * One row of the memory-failure table: which page state it matches, what to call that state in
 * reports, and the handler to run.
 *
 * <p>Mirrors {@code struct page_state} of {@code mm/memory-failure.c}. A handler returns
 * {@code null} when it found the page changed under it, and the page is classified again.
 */
record PageStateRule(String type, Predicate<PageState> matches, Handler handler) {

    /** What a rule does with a page that matched. */
    interface Handler {
        MfResult handle(PageState state);
    }
}
