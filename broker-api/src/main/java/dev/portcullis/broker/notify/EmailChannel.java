package dev.portcullis.broker.notify;

import io.quarkus.mailer.Mail;
import io.quarkus.mailer.Mailer;
import java.util.Map;

/**
 * Mail to people: each new request and reminder to the approvers of its rule, the rest to the requester, addresses read
 * from Keycloak when the message is sent. One mail per person, its Message-ID made of the message's stable id and the
 * person, so a retried message is recognisably the same one.
 */
final class EmailChannel implements Channel {

    static final String NAME = "email";

    private final Mailer mailer;
    private final Recipients recipients;

    EmailChannel(Mailer mailer, Recipients recipients) {
        this.mailer = mailer;
        this.recipients = recipients;
    }

    /** Who reads a message by mail: username to address. */
    interface Recipients {
        Map<String, String> of(Notice notice) throws DeliveryException;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean carries(NotificationEvent event) {
        return event.audience() != NotificationEvent.Audience.NOBODY;
    }

    @Override
    public void send(Notice notice) throws DeliveryException {
        Map<String, String> to = recipients.of(notice);
        if (to.isEmpty() && notice.event().audience() == NotificationEvent.Audience.REQUESTER) {
            throw new NobodyToTell(notice.facts().requester() + " has no email address in Keycloak");
        }
        if (to.isEmpty()) {
            // a request nobody hears of waits for nothing: a failure admins must see
            throw new DeliveryException(
                    "nobody to tell: no approver in "
                            + String.join(", ", notice.facts().approverGroups())
                            + " who may review it has an email address in Keycloak",
                    true);
        }
        MessageText text = MessageText.of(notice);
        for (Map.Entry<String, String> person : to.entrySet()) {
            try {
                mailer.send(Mail.withText(person.getValue(), "[Portcullis] " + text.subject(), text.body())
                        .addHeader("Message-ID", "<" + notice.id() + "." + person.getKey() + "@portcullis>"));
            } catch (RuntimeException e) {
                throw new DeliveryException("SMTP: mail to " + person.getKey() + " not taken: " + oneLine(e), false);
            }
        }
    }

    private static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return message.replaceAll("\\s+", " ");
    }
}
