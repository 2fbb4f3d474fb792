package dev.portcullis.bastion.db;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Defence in depth under a read-only grant: what keeps such a grant from writing is the role's own privileges, checked
 * at every login ({@link ReadOnlyRoleCheck}); dynamic SQL can always be built where no lexer sees it. The proxy also
 * starts the server session with {@code default_transaction_read_only=on}, and this guard refuses what would take
 * the session out of that mode, run SQL it cannot read, or make the server lex differently from it: {@code DO},
 * {@code CALL}, functions that run SQL text or write files and large objects ({@code query_to_xml}, {@code ts_stat},
 * {@code dblink*}, {@code lo_import}...), {@code COPY ... PROGRAM}, writes to {@code pg_settings}, {@code SET ROLE},
 * {@code SET SESSION AUTHORIZATION}, {@code SET NAMES}, any change of {@code client_encoding} or
 * {@code standard_conforming_strings}, and Bind parameter values that say any of these ({@link #valueRefusal}).
 * Also: {@code BEGIN/START TRANSACTION/SET TRANSACTION ... READ WRITE},
 * {@code SET SESSION CHARACTERISTICS ... READ WRITE}, any mention of {@code transaction_read_only} or
 * {@code default_transaction_read_only} outside {@code SHOW}, {@code set_config(...)}, and Unicode-escaped names or
 * strings ({@code U&"..."}) that could spell them. Comments, string literals, quoted identifiers and dollar quotes are
 * lexed as PostgreSQL lexes them, and the bodies of dollar-quoted strings (DO blocks, function bodies) are checked
 * as SQL too; a string that says READ WRITE (dynamic SQL) is refused as well. It errs on the side of refusing: a string literal that merely contains one of those names is refused.
 * The server reports any change of {@code default_transaction_read_only}, and the proxy ends the session if one ever
 * slips past (see {@code DatabaseSession}).
 */
public final class ReadOnlyGuard {

    private static final int MAX_DEPTH = 8;
    private static final Pattern READ_WRITE = Pattern.compile("\\bread\\s+write\\b");
    /** Functions that run SQL given as text, where this guard cannot see it, or that write files and large objects. */
    private static final Set<String> FUNCTIONS = Set.of(
            "set_config",
            "query_to_xml",
            "query_to_xmlschema",
            "query_to_xml_and_xmlschema",
            "ts_stat",
            "lo_import",
            "lo_export",
            "lo_create",
            "lo_creat",
            "lo_from_bytea",
            "lowrite",
            "lo_put",
            "lo_unlink",
            "lo_truncate",
            "lo_truncate64",
            "pg_file_write");
    /** Settings that change how the server lexes what the client sends, which this guard must lex the same way. */
    private static final Set<String> LEXING_SETTINGS =
            Set.of("client_encoding", "standard_conforming_strings", "backslash_quote");

    private static final Set<String> WRITE_VERBS = Set.of("insert", "update", "delete", "merge");

    private ReadOnlyGuard() {}

    /** Why the statement is refused under a read-only grant, or null when it may be sent. */
    public static String refusal(String sql) {
        return new Scan(sql, 0, true).run();
    }

    /**
     * Why a parameter value (of a Bind) is refused under a read-only grant, or null. A value is data, but it can reach
     * a function that runs it as SQL, so the words that are refused anywhere in a statement are refused in it too; the
     * rules about a statement's first word (DO, CALL, SET) are not applied to data.
     */
    public static String valueRefusal(String value) {
        String why = new Scan(value, 0, false).run();
        return why == null ? null : "a parameter value: " + why;
    }

    private static final class Scan {
        private final String s;
        private final int depth;
        private int i;
        private final boolean statement;
        private String previousWord;
        private String firstWord;
        private boolean writeVerb;
        private boolean settingsView;

        Scan(String s, int depth, boolean statement) {
            this.s = s;
            this.depth = depth;
            this.statement = statement;
        }

        String run() {
            int n = s.length();
            while (i < n) {
                char c = s.charAt(i);
                String why;
                if (Character.isWhitespace(c)) {
                    i++;
                    continue;
                } else if (c == '-' && peek(1) == '-') {
                    int nl = s.indexOf('\n', i);
                    i = nl < 0 ? n : nl + 1;
                    continue;
                } else if (c == '/' && peek(1) == '*') {
                    skipBlockComment();
                    continue;
                } else if ((c == 'u' || c == 'U') && peek(1) == '&' && (peek(2) == '\'' || peek(2) == '"')) {
                    return "Unicode-escaped names and strings (U&...) are not allowed under a read-only grant";
                } else if ((c == 'e' || c == 'E') && peek(1) == '\'') {
                    i++;
                    why = string(quoted('\'', true));
                } else if (c == '\'') {
                    why = string(quoted('\'', false));
                } else if (c == '"') {
                    why = word(quoted('"', false));
                } else if (c == '$' && dollarTagEnd() > 0) {
                    why = dollarQuoted();
                } else if (Character.isLetter(c) || c == '_') {
                    int start = i;
                    while (i < n
                            && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == '$')) {
                        i++;
                    }
                    why = word(s.substring(start, i));
                } else {
                    if (c == ';') {
                        firstWord = null;
                    }
                    previousWord = null;
                    i++;
                    continue;
                }
                if (why != null) {
                    return why;
                }
            }
            return null;
        }

        private String word(String w) {
            String lower = w.toLowerCase(Locale.ROOT);
            if (firstWord == null) {
                firstWord = lower;
            }
            if ("write".equals(lower) && "read".equals(previousWord)) {
                return "READ WRITE is not allowed under a read-only grant";
            }
            if (FUNCTIONS.contains(lower) || lower.startsWith("dblink")) {
                return lower + "() is not allowed under a read-only grant";
            }
            if (statement && ("do".equals(firstWord) || "call".equals(firstWord)) && lower.equals(firstWord)) {
                return lower.toUpperCase(Locale.ROOT) + " is not allowed under a read-only grant";
            }
            if (statement && "copy".equals(firstWord) && "program".equals(lower)) {
                return "COPY ... PROGRAM is not allowed under a read-only grant";
            }
            if (statement
                    && "set".equals(firstWord)
                    && ("role".equals(lower) || "authorization".equals(lower) || "names".equals(lower))
                    && (previousWord == null
                            || Set.of("set", "local", "session").contains(previousWord))) {
                return "SET " + lower.toUpperCase(Locale.ROOT) + " is not allowed under a read-only grant";
            }
            if (LEXING_SETTINGS.contains(lower) && !"show".equals(firstWord)) {
                return "changing " + lower + " is not allowed under a read-only grant";
            }
            writeVerb |= WRITE_VERBS.contains(lower);
            settingsView |= "pg_settings".equals(lower);
            if (writeVerb && settingsView) {
                return "writing to pg_settings is not allowed under a read-only grant";
            }
            String mode = mentionsMode(lower);
            previousWord = lower;
            return mode;
        }

        private String string(String content) {
            previousWord = null;
            if (firstWord == null) {
                firstWord = "";
            }
            String lower = content.toLowerCase(Locale.ROOT);
            if (READ_WRITE.matcher(lower).find()) {
                return "READ WRITE is not allowed under a read-only grant, not even in a string that could be run as SQL";
            }
            return mentionsMode(lower);
        }

        private String mentionsMode(String lower) {
            if (lower.contains("transaction_read_only") && !"show".equals(firstWord)) {
                return "changing transaction_read_only or default_transaction_read_only is not allowed under a read-only grant";
            }
            return null;
        }

        private char peek(int ahead) {
            int j = i + ahead;
            return j < s.length() ? s.charAt(j) : '\0';
        }

        private void skipBlockComment() {
            int nesting = 0;
            int n = s.length();
            while (i < n) {
                if (s.startsWith("/*", i)) {
                    nesting++;
                    i += 2;
                } else if (s.startsWith("*/", i)) {
                    nesting--;
                    i += 2;
                    if (nesting == 0) {
                        return;
                    }
                } else {
                    i++;
                }
            }
        }

        /** From the opening quote at i to past the closing one; a doubled quote is one quote; backslashes in E'...'. */
        private String quoted(char quote, boolean backslashes) {
            StringBuilder out = new StringBuilder();
            i++;
            int n = s.length();
            while (i < n) {
                char c = s.charAt(i);
                if (backslashes && c == '\\' && i + 1 < n) {
                    out.append(s.charAt(i + 1));
                    i += 2;
                } else if (c == quote) {
                    if (peek(1) == quote) {
                        out.append(quote);
                        i += 2;
                    } else {
                        i++;
                        return out.toString();
                    }
                } else {
                    out.append(c);
                    i++;
                }
            }
            return out.toString();
        }

        /** The index just past a dollar-quote tag starting at i ({@code $$} or {@code $tag$}), or -1. */
        private int dollarTagEnd() {
            int j = i + 1;
            int n = s.length();
            if (j < n && s.charAt(j) == '$') {
                return j + 1;
            }
            if (j >= n || !(Character.isLetter(s.charAt(j)) || s.charAt(j) == '_')) {
                return -1;
            }
            while (j < n && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
                j++;
            }
            return j < n && s.charAt(j) == '$' ? j + 1 : -1;
        }

        private String dollarQuoted() {
            int tagEnd = dollarTagEnd();
            String tag = s.substring(i, tagEnd);
            int close = s.indexOf(tag, tagEnd);
            String body = close < 0 ? s.substring(tagEnd) : s.substring(tagEnd, close);
            i = close < 0 ? s.length() : close + tag.length();
            String why = string(body);
            if (why != null) {
                return why;
            }
            if (depth >= MAX_DEPTH) {
                return "dollar quotes nested too deeply to check";
            }
            return new Scan(body, depth + 1, statement).run();
        }
    }
}
