package dev.portcullis.bastion.db;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which of a client's startup parameters reach the server. {@code user} and {@code database} are the proxy's own
 * (the role and the target), {@code _pq_.} protocol options are answered by the proxy; every other parameter must be
 * on the allow-list, or the session is refused: {@code options} alone could set any server setting, including
 * {@code default_transaction_read_only}.
 */
final class StartupParameters {

    /** Startup parameters passed to the server (GUC names are case-insensitive); everything else is refused. */
    private static final Set<String> PASSED = Set.of(
            "application_name",
            "client_encoding",
            "datestyle",
            "timezone",
            "intervalstyle",
            "extra_float_digits",
            "search_path",
            "statement_timeout",
            "lock_timeout",
            "idle_in_transaction_session_timeout",
            "fallback_application_name");

    /**
     * Encodings whose multi-byte characters may contain ASCII bytes such as a quote or a backslash: the server would
     * lex a statement in them differently from {@link ReadOnlyGuard}, which reads it as UTF-8. Names as PostgreSQL
     * matches them: lower case, only letters and digits.
     */
    private static final Set<String> UNSAFE_ENCODINGS = Set.of(
            "sjis",
            "mskanji",
            "shiftjis",
            "win932",
            "windows932",
            "shiftjis2004",
            "big5",
            "win950",
            "windows950",
            "gbk",
            "win936",
            "windows936",
            "cp936",
            "gb18030",
            "uhc",
            "win949",
            "windows949",
            "johab");

    /** A parameter the proxy does not pass; the message is the one line the client is told. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    private StartupParameters() {}

    /** The parameters to pass to the server, in the client's order. */
    static Map<String, String> passed(Map<String, String> startup) throws Refused {
        Map<String, String> passed = new LinkedHashMap<>();
        for (Map.Entry<String, String> p : startup.entrySet()) {
            String name = p.getKey();
            if (name.equals("user") || name.equals("database") || name.startsWith("_pq_.")) {
                continue;
            }
            if (!PASSED.contains(name.toLowerCase(Locale.ROOT))) {
                throw new Refused("startup parameter '" + name + "' is not allowed through the Portcullis proxy"
                        + (name.equals("options") ? " (unset PGOPTIONS)" : ""));
            }
            passed.put(name, p.getValue());
        }
        return passed;
    }

    /** The client encoding a read-only session may not use, or null when {@code passed} names none. */
    static String unsafeEncoding(Map<String, String> passed) {
        for (Map.Entry<String, String> p : passed.entrySet()) {
            if (p.getKey().equalsIgnoreCase("client_encoding")
                    && UNSAFE_ENCODINGS.contains(
                            p.getValue().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", ""))) {
                return p.getValue();
            }
        }
        return null;
    }
}
