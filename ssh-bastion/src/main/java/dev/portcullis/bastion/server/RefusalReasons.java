package dev.portcullis.bastion.server;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.Service;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.session.AbstractServerSession;
import org.apache.sshd.server.session.ServerConnectionService;
import org.apache.sshd.server.session.ServerConnectionServiceFactory;

/**
 * Puts the bastion's reason into the refusal of a channel (OpenSSH prints it: "open failed: administratively
 * prohibited: there is no target named 'nowhere' behind this bastion"). MINA sends a generic text when a channel's
 * open future fails, so the channel leaves its reason here, keyed by the client's channel number, and this
 * connection service swaps it in as the refusal goes out.
 */
final class RefusalReasons extends ServerConnectionServiceFactory {

    private static final AttributeKey<Map<Long, String>> REASONS = new AttributeKey<>();

    /** Called by a channel just before it fails its open future. */
    static void remember(Session session, long clientChannel, String reason) {
        Map<Long, String> reasons = session.computeAttributeIfAbsent(REASONS, k -> new ConcurrentHashMap<>());
        reasons.put(clientChannel, reason);
    }

    @Override
    public Service create(Session session) throws IOException {
        ServerConnectionService service = new ServerConnectionService((AbstractServerSession) session) {
            @Override
            protected IoWriteFuture sendChannelOpenFailure(
                    Buffer buffer, long sender, int reasonCode, String message, String lang) throws IOException {
                Map<Long, String> reasons = session.getAttribute(REASONS);
                String ours = reasons == null ? null : reasons.remove(sender);
                return super.sendChannelOpenFailure(buffer, sender, reasonCode, ours != null ? ours : message, lang);
            }
        };
        service.addPortForwardingEventListenerManager(this);
        return service;
    }
}
