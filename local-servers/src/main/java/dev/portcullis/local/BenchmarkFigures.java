package dev.portcullis.local;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The machine-readable figures a benchmark writes next to its Markdown page ({@code docs/benchmarks/NAME.md} ->
 * {@code NAME.figures.tsv}), which {@code deploy/bench/all.sh} collects into docs/benchmarks.md. One row per figure:
 * its value, the baseline measured in the same run in the same unit, and the target. The contract is in
 * deploy/bench/README.md.
 */
public final class BenchmarkFigures {

    public static final String MAGIC = "# portcullis benchmark figures v1";
    public static final String HEADER = "figure\tvalue\tunit\tbaseline\tbaseline_value\ttarget\tdetail";
    /** {@code value>=200}, {@code ratio<=1.2}, or {@code -} for a figure without a target. */
    public static final Pattern TARGET = Pattern.compile("-|(value|ratio)(>=|<=)[0-9]+(\\.[0-9]+)?");

    private final String detail;
    private final List<String> rows = new ArrayList<>();

    /** @param detail the Markdown page with the details, relative to docs/ (e.g. {@code benchmarks/bastion.md}) */
    public BenchmarkFigures(String detail) {
        this.detail = text(detail);
    }

    /**
     * @param target what must hold: {@code value>=N}, {@code value<=N}, {@code ratio>=N} or {@code ratio<=N}
     *               (ratio = value / baselineValue), or {@code -}
     */
    public BenchmarkFigures add(
            String figure, double value, String unit, String baseline, double baselineValue, String target) {
        if (!Double.isFinite(value) || !Double.isFinite(baselineValue) || baselineValue <= 0) {
            throw new IllegalArgumentException(figure + ": value " + value + " and baseline " + baselineValue
                    + " must be finite, the baseline > 0");
        }
        if (!TARGET.matcher(target).matches()) {
            throw new IllegalArgumentException(
                    figure + ": target '" + target + "' is not value>=N, value<=N, ratio>=N, ratio<=N or -");
        }
        rows.add(String.join(
                "\t", text(figure), number(value), text(unit), text(baseline), number(baselineValue), target, detail));
        return this;
    }

    /** Writes the figures next to {@code markdown} (same name, {@code .figures.tsv}) and returns that file. */
    public Path writeBeside(Path markdown) throws IOException {
        String name = markdown.getFileName().toString();
        Path file = markdown.resolveSibling(
                (name.endsWith(".md") ? name.substring(0, name.length() - 3) : name) + ".figures.tsv");
        Files.createDirectories(file.toAbsolutePath().getParent());
        String text = MAGIC + "\n# run " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + "\n" + HEADER + "\n"
                + String.join("\n", rows) + (rows.isEmpty() ? "" : "\n");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    private static String number(double v) {
        // four significant digits, never an exponent: 157.3, 0.53, 12350
        return new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString();
    }

    private static String text(String s) {
        if (s == null || s.isBlank() || s.contains("\t") || s.contains("\n")) {
            throw new IllegalArgumentException("a figures field must be one line of text without tabs: '" + s + "'");
        }
        return s.strip();
    }
}
