package dev.portcullis.bastion.live;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;

/**
 * What the broker's event stream says about one session rather than a grant: {@code watch} (someone watches it;
 * {@code reason} names who) and {@code end-session} (an admin ends it; {@code reason} is the line the user is shown).
 * Sessions on other bastions are not ours and are ignored.
 */
public final class SessionInstructions {

    public static final String WATCH = "watch";
    public static final String END_SESSION = "end-session";
    private static final int MAX_MESSAGE = 600;

    private SessionInstructions() {}

    public static boolean isOne(String event) {
        return WATCH.equals(event) || END_SESSION.equals(event);
    }

    /** @throws IllegalArgumentException when the event names no session */
    public static void apply(String event, JsonNode data, LiveViews views) {
        UUID session = UUID.fromString(data.path("sessionId").asText());
        String reason = data.path("reason").asText("");
        if (WATCH.equals(event)) {
            views.watch(session, reason);
        } else {
            views.end(session, oneLine(reason.isBlank() ? "this session was ended by an admin" : reason));
        }
    }

    /** The broker words the message; the bastion only keeps it to one printable line the terminal cannot misread. */
    static String oneLine(String text) {
        String clean = text.replaceAll("[\\p{Cntrl}\\u2028\\u2029]", " ").strip();
        return clean.length() <= MAX_MESSAGE ? clean : clean.substring(0, MAX_MESSAGE) + "...";
    }
}
