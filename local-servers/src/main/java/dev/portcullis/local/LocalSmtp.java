package dev.portcullis.local;

import com.icegreen.greenmail.user.GreenMailUser;
import com.icegreen.greenmail.user.MessageDeliveryHandler;
import com.icegreen.greenmail.user.UserManager;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A real SMTP server (GreenMail, from Maven Central) on a free loopback port, in this JVM: it speaks SMTP on a socket
 * like any relay, accepts mail for any address and keeps it for the test to read.
 */
public final class LocalSmtp implements AutoCloseable {

    private static LocalSmtp shared;

    private final GreenMail server;
    private final int port;

    private LocalSmtp(GreenMail server, int port) {
        this.server = server;
        this.port = port;
    }

    /** One SMTP server per JVM, stopped when the JVM exits. */
    public static synchronized LocalSmtp shared() {
        if (shared == null) {
            shared = start();
            LocalSmtp instance = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(instance::close, "local-smtp-stop"));
        }
        return shared;
    }

    public static LocalSmtp start() {
        int port = freePort();
        GreenMail server = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        server.start();
        LocalSmtp smtp = new LocalSmtp(server, port);
        UserManager users = server.getManagers().getUserManager();
        MessageDeliveryHandler deliver = users.getMessageDeliveryHandler();
        users.setMessageDeliveryHandler((message, address) -> {
            GreenMailUser user = deliver.handle(message, address);
            Consumer<Arrival> listener = smtp.arrivals;
            if (listener != null) {
                listener.accept(new Arrival(address.getEmail(), message.getMessage(), System.nanoTime()));
            }
            return user;
        });
        return smtp;
    }

    /** A message as the server took it for one recipient, and when ({@link System#nanoTime()}): for benchmarks. */
    public record Arrival(String to, MimeMessage message, long nanoTime) {}

    private volatile Consumer<Arrival> arrivals;

    /** Called on the server's thread for every message taken, for each recipient; null stops it. */
    public void onArrival(Consumer<Arrival> listener) {
        this.arrivals = listener;
    }

    public int port() {
        return port;
    }

    /** One received message, as its reader sees it. */
    public record Mail(List<String> to, String subject, String body, String messageId) {}

    /** Every message received so far for this address, oldest first. */
    public List<Mail> inbox(String address) {
        List<Mail> found = new ArrayList<>();
        for (MimeMessage m : server.getReceivedMessages()) {
            Mail mail = read(m);
            if (mail.to().contains(address)) {
                found.add(mail);
            }
        }
        return found;
    }

    /** Waits, at most {@code patience}, for a message to this address that matches; empty when none came. */
    public Optional<Mail> await(String address, Predicate<Mail> matching, Duration patience) {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            Optional<Mail> found = inbox(address).stream().filter(matching).findFirst();
            if (found.isPresent() || System.nanoTime() > deadline) {
                return found;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
    }

    private static Mail read(MimeMessage m) {
        try {
            Address[] recipients = m.getAllRecipients();
            List<String> to = recipients == null
                    ? List.of()
                    : Arrays.stream(recipients).map(Address::toString).toList();
            return new Mail(to, m.getSubject(), GreenMailUtil.getBody(m), m.getMessageID());
        } catch (MessagingException e) {
            throw new IllegalStateException("cannot read a received message: " + e.getMessage(), e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.stop();
    }
}
