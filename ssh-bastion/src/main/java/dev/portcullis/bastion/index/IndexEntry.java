package dev.portcullis.bastion.index;

import java.util.Objects;
import java.util.UUID;

/**
 * One thing a session did, as the search index keeps it. Who, where and under which grant are not here: the broker
 * takes them from its own row of the session, never from the bastion's word.
 *
 * @param session      the session (as registered with the broker)
 * @param offsetMicros when, since the recording started
 * @param kind         {@link Kind#wire()}
 * @param text         what is searched
 * @param detail       shown beside it (a command tag and rows, a transfer's size), or null
 */
public record IndexEntry(UUID session, long offsetMicros, Kind kind, String text, String detail) {

    /** Longer text is cut: the index is for finding, the recording holds every byte. */
    public static final int MAX_TEXT = 4096;

    public enum Kind {
        /** An SSH exec request's command. */
        EXEC("exec"),
        /** A line typed into a shell, rebuilt from the keystrokes. */
        COMMAND("command"),
        /** A line of terminal output, escape sequences removed. */
        OUTPUT("output"),
        /** A SQL statement, with its parameters unless redacted. */
        QUERY("query"),
        /** A file transfer or file operation (SFTP, SCP). */
        FILE("file"),
        /** A forwarded TCP connection. */
        FORWARD("forward");

        private final String wire;

        Kind(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }
    }

    public IndexEntry {
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(text, "text");
        if (text.length() > MAX_TEXT) {
            text = text.substring(0, MAX_TEXT);
        }
    }
}
