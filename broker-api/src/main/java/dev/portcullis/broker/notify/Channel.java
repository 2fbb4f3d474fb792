package dev.portcullis.broker.notify;

/** Somewhere messages go: the approvers' and requester's mailboxes, a team's chat channel, a signed webhook. */
public interface Channel {

    String name();

    /** Whether this channel is told of such events at all. */
    boolean carries(NotificationEvent event);

    /** Delivers the message or throws, saying why in one line; a retry sends the same message with the same id. */
    void send(Notice notice) throws DeliveryException;

    /** A message that was not delivered this time; {@code permanent}: retrying cannot help. */
    class DeliveryException extends Exception {
        private final boolean permanent;

        public DeliveryException(String message, boolean permanent) {
            super(message);
            this.permanent = permanent;
        }

        public boolean permanent() {
            return permanent;
        }
    }

    /** Nobody to send it to, and that is nobody's failure (a requester without an email address): skipped, noted. */
    final class NobodyToTell extends DeliveryException {
        public NobodyToTell(String message) {
            super(message, true);
        }
    }
}
