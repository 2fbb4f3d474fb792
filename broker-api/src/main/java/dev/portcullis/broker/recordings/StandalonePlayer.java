package dev.portcullis.broker.recordings;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;

/**
 * One HTML file that plays a {@code .cast} with no network: the asciinema-player script and style the replay page
 * loads (web-frontend puts them on the class path) and the recording are written into the page itself, so it opens
 * from {@code file://} on a machine that never saw the broker. Its Content-Security-Policy allows nothing to be
 * fetched. The recording is embedded in base64, so no byte of it (a {@code </script>} in the output, say) can end
 * the element that holds it.
 */
final class StandalonePlayer {

    static final String ASSETS = "META-INF/resources/static/vendor/asciinema-player/";

    private StandalonePlayer() {}

    static void write(Path cast, String title, String caption, Path html) throws IOException {
        try (OutputStream out = Files.newOutputStream(html)) {
            text(
                    out,
                    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                            + "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                            + "script-src 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'unsafe-inline'; img-src data:; "
                            + "font-src data:\">\n<title>" + escape(title) + "</title>\n<style>\n");
            asset(out, "asciinema-player.css", "</style");
            text(
                    out,
                    "\nbody { font-family: sans-serif; margin: 1.5rem; }\n</style>\n</head>\n<body>\n<h1>"
                            + escape(title) + "</h1>\n<p>" + escape(caption)
                            + "</p>\n<div id=\"player\"></div>\n<script>\n");
            asset(out, "asciinema-player.min.js", "</script");
            text(out, "\n</script>\n<script id=\"cast\" type=\"application/octet-stream\">\n");
            try (InputStream in = Files.newInputStream(cast);
                    OutputStream encoded = Base64.getEncoder().wrap(new NonClosing(out))) {
                in.transferTo(encoded);
            }
            text(
                    out,
                    "\n</script>\n<script>\n(function () {\n"
                            + "  var text = atob(document.getElementById('cast').textContent.replace(/\\s+/g, ''));\n"
                            + "  var bytes = new Uint8Array(text.length);\n"
                            + "  for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }\n"
                            + "  AsciinemaPlayer.create({ data: new TextDecoder('utf-8').decode(bytes) },\n"
                            + "      document.getElementById('player'), { fit: 'width' });\n"
                            + "})();\n</script>\n</body>\n</html>\n");
        }
    }

    /** Copies a player asset, refusing one that would end the element it is written into. */
    private static void asset(OutputStream out, String name, String closing) throws IOException {
        byte[] bytes;
        try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream(ASSETS + name)) {
            if (in == null) {
                throw new IOException("the asciinema-player asset " + name + " is not on the class path "
                        + "(the web-frontend module provides it)");
            }
            bytes = in.readAllBytes();
        }
        if (new String(bytes, StandardCharsets.ISO_8859_1)
                .toLowerCase(Locale.ROOT)
                .contains(closing)) {
            throw new IOException(
                    "the asciinema-player asset " + name + " contains " + closing + "> and cannot be written inline");
        }
        out.write(bytes);
    }

    private static void text(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
    }

    static String escape(String s) {
        return s.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace("\"", "&quot;")
                .replace("'", "&#39;");
    }

    /** The base64 encoder closes what it wraps; the page goes on after the recording. */
    private static final class NonClosing extends FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
