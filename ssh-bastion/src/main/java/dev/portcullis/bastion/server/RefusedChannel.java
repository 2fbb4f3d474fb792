package dev.portcullis.bastion.server;

import java.util.List;
import org.apache.sshd.client.future.DefaultOpenFuture;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.channel.AbstractServerChannel;

/** A channel refused before anything is asked or started (a connection over its {@link ChannelLimits}). */
final class RefusedChannel extends AbstractServerChannel {

    private final String reason;

    RefusedChannel(String reason) {
        super("", List.of(), null);
        this.reason = reason;
    }

    @Override
    public OpenFuture open(long recipient, long rwSize, long packetSize, Buffer buffer) {
        OpenFuture f = super.open(recipient, rwSize, packetSize, buffer);
        f.addListener(x -> ChannelLimits.forget(this));
        return f;
    }

    @Override
    protected OpenFuture doInit(Buffer buffer) {
        RefusalReasons.remember(getSession(), getRecipient(), reason);
        DefaultOpenFuture f = new DefaultOpenFuture(this, new Object());
        f.setException(new SshChannelOpenException(getChannelId(), SshConstants.SSH_OPEN_RESOURCE_SHORTAGE, reason));
        return f;
    }

    @Override
    protected void doWriteData(byte[] data, int off, long len) {
        throw new UnsupportedOperationException("a refused channel carries no data");
    }

    @Override
    protected void doWriteExtendedData(byte[] data, int off, long len) {
        throw new UnsupportedOperationException("a refused channel carries no data");
    }
}
