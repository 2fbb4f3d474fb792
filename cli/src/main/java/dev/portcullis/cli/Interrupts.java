package dev.portcullis.cli;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C (SIGINT) while the command waits: instead of dying, run a question (withdraw the request?). The JDK's own
 * handler comes back once the wait is over. {@code sun.misc.Signal} is the JDK's supported way to do this (module
 * jdk.unsupported); without it, Ctrl-C simply ends the command.
 */
final class Interrupts {

    private static SignalHandler previous;

    private Interrupts() {}

    static synchronized void onCtrlC(Runnable action) {
        try {
            previous = Signal.handle(new Signal("INT"), signal -> new Thread(action, "ctrl-c").start());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            previous = null;
        }
    }

    static synchronized void reset() {
        if (previous != null) {
            Signal.handle(new Signal("INT"), previous);
            previous = null;
        }
    }
}
