package dev.portcullis.bastion.recording;

import java.util.List;
import java.util.Optional;

import org.apache.sshd.server.command.CommandFactory;

import dev.portcullis.recording.event.FileTransferEvent.Direction;

/**
 * A legacy scp transfer ({@code scp -O}): the client runs {@code scp -t PATH} to upload or {@code scp -f PATH} to
 * download over an exec channel. (Current OpenSSH scp speaks SFTP instead, which {@link SftpObserver} follows.)
 */
public record ScpCommand(Direction direction, String path) {

    public static Optional<ScpCommand> parse(String command) {
        if (command == null) {
            return Optional.empty();
        }
        List<String> words;
        try {
            words = CommandFactory.split(command);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        if (words.size() < 2 || !(words.get(0).equals("scp") || words.get(0).endsWith("/scp"))) {
            return Optional.empty();
        }
        Direction direction = null;
        for (String w : words.subList(1, words.size() - 1)) {
            if (w.startsWith("-") && !w.startsWith("--")) {
                if (w.indexOf('t') > 0) {
                    direction = Direction.UPLOAD;
                } else if (w.indexOf('f') > 0) {
                    direction = Direction.DOWNLOAD;
                }
            }
        }
        if (direction == null) {
            return Optional.empty();
        }
        return Optional.of(new ScpCommand(direction, words.get(words.size() - 1)));
    }
}
