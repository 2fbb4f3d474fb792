package dev.portcullis.bastion.recording;

import dev.portcullis.recording.event.FileTransferEvent.Direction;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A legacy scp transfer ({@code scp -O}): the client runs {@code scp -t PATH} to upload or {@code scp -f PATH} to
 * download over an exec channel. (Current OpenSSH scp speaks SFTP instead, which {@link SftpObserver} follows.)
 *
 * <p>A transfer's content is not written into the terminal recording, so what counts as one is narrow: exactly
 * {@code scp}, flags OpenSSH's client sends ({@code -v -r -p -d}), one of {@code -t}/{@code -f}, an optional
 * {@code --} and one path, with no character a shell gives meaning to beyond plain quoting. Anything else, such as
 * {@code scp -f x || sh}, is an ordinary command and recorded with all its bytes. What the name {@code scp} runs on
 * the target (the target's PATH and shell start-up files) is the target's matter; {@link ScpObserver} records
 * whatever does not follow the scp protocol as terminal data.
 *
 * @param toDirectory {@code -d}: the client sends several files into the directory {@code path}
 */
public record ScpCommand(Direction direction, String path, boolean toDirectory) {

    /** Characters that make a command line more than one plain program call, even inside quotes. */
    private static final String SHELL_SYNTAX = ";|&$`()<>\n\r#*?[]{}~!\\\0";

    private static final int MAX_LENGTH = 4096;

    public static Optional<ScpCommand> parse(String command) {
        if (command == null || command.length() > MAX_LENGTH) {
            return Optional.empty();
        }
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (SHELL_SYNTAX.indexOf(c) >= 0 || Character.isISOControl(c) && c != '\t') {
                return Optional.empty();
            }
        }
        List<String> words = split(command);
        if (words == null || words.size() < 3 || !words.get(0).equals("scp")) {
            return Optional.empty();
        }
        Direction direction = null;
        boolean toDirectory = false;
        int i = 1;
        for (; i < words.size() - 1; i++) {
            String w = words.get(i);
            if (w.equals("--")) {
                i++;
                break;
            }
            if (!w.matches("-[vrpdtf]+")) {
                return Optional.empty();
            }
            toDirectory |= w.indexOf('d') > 0;
            for (char c : w.substring(1).toCharArray()) {
                Direction d = c == 't' ? Direction.UPLOAD : c == 'f' ? Direction.DOWNLOAD : null;
                if (d != null) {
                    if (direction != null) {
                        return Optional.empty(); // -t and -f, or either twice
                    }
                    direction = d;
                }
            }
        }
        if (direction == null || i != words.size() - 1) {
            return Optional.empty();
        }
        String path = words.get(i);
        if (path.isEmpty() || (path.startsWith("-") && !words.get(i - 1).equals("--"))) {
            return Optional.empty();
        }
        return Optional.of(new ScpCommand(direction, path, toDirectory));
    }

    /**
     * Words as a POSIX shell splits them when the line holds no expansion: blanks separate, single and double
     * quotes group (the caller has already refused every character that would be special inside double quotes).
     * Null for an unterminated quote.
     */
    private static List<String> split(String command) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == ' ' || c == '\t') {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else {
                if (word == null) {
                    word = new StringBuilder();
                }
                if (c == '\'' || c == '"') {
                    quote = c;
                } else {
                    word.append(c);
                }
            }
        }
        if (quote != 0) {
            return null;
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }
}
