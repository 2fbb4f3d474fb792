package dev.portcullis.deploy.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Collects the figures every benchmark script left in docs/benchmarks/ (NAME.figures.tsv, and NAME-PART.figures.tsv for
 * a script with several pages) into one Markdown report, docs/benchmarks.md: each figure against its baseline from the
 * same run, the ratio, the target and whether it is met, with the machine described. Run by deploy/bench/all.sh with
 * the JDK's source launcher (JDK classes only, so no build is needed):
 * {@code java deploy/src/main/java/dev/portcullis/deploy/bench/BenchmarkReport.java --figures docs/benchmarks
 * --out docs/benchmarks.md --scripts workflow,grant-end,bastion [--ran NAME,... --since INSTANT] [--failed NAME,...]}: figures of a
 * script that failed, or that ran since INSTANT but left figures from before it, are marked stale. The contract is in
 * deploy/bench/README.md.
 */
public final class BenchmarkReport {

    static final String MAGIC = "# portcullis benchmark figures v1";
    static final String HEADER = "figure\tvalue\tunit\tbaseline\tbaseline_value\ttarget\tdetail";
    private static final Pattern TARGET = Pattern.compile("(value|ratio)(>=|<=)([0-9]+(?:\\.[0-9]+)?)");

    /** One row of a figures file. */
    record Figure(
            String script,
            String figure,
            double value,
            String unit,
            String baseline,
            double baselineValue,
            String target,
            String detail) {
        double ratio() {
            return value / baselineValue;
        }

        /** Empty when the figure has no target. */
        Optional<Boolean> met() {
            Matcher m = TARGET.matcher(target);
            if (!m.matches()) {
                return Optional.empty();
            }
            double subject = m.group(1).equals("ratio") ? ratio() : value;
            double bound = Double.parseDouble(m.group(3));
            return Optional.of(m.group(2).equals(">=") ? subject >= bound : subject <= bound);
        }
    }

    /** A script's figures files: their run times and rows, or why there are none; {@code stale} says why they are old, or is null. */
    record ScriptFigures(String script, List<Figure> figures, List<String> runs, List<String> problems, String stale) {}

    private BenchmarkReport() {}

    public static void main(String[] args) throws IOException {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i], args[i + 1]);
        }
        if (!options.containsKey("--figures") || !options.containsKey("--out") || !options.containsKey("--scripts")) {
            System.err.println(
                    "usage: BenchmarkReport --figures DIR --out FILE --scripts a,b,c [--ran a,b --since INSTANT] [--failed a,b]");
            System.exit(2);
        }
        Path dir = Path.of(options.get("--figures"));
        List<String> scripts = split(options.get("--scripts"));
        Set<String> failed = Set.copyOf(split(options.getOrDefault("--failed", "")));
        Set<String> ran = Set.copyOf(split(options.getOrDefault("--ran", "")));
        Instant since = options.containsKey("--since") ? Instant.parse(options.get("--since")) : null;
        List<ScriptFigures> collected = collect(dir, scripts, failed, ran, since);
        String report = render(collected, Machine.describe(), Instant.now());
        Path out = Path.of(options.get("--out"));
        Files.writeString(out, report, StandardCharsets.UTF_8);
        long notMet = collected.stream()
                .filter(s -> s.stale() == null)
                .flatMap(s -> s.figures().stream())
                .filter(f -> f.met().equals(Optional.of(false)))
                .count();
        System.out.println("wrote " + out + ": "
                + collected.stream().mapToInt(s -> s.figures().size()).sum() + " figures from " + scripts.size()
                + " scripts, " + notMet + " target(s) not met"
                + (failed.isEmpty() ? "" : ", failed: " + String.join(", ", failed)));
        collected.forEach(s -> s.problems().forEach(p -> System.err.println("warning: " + s.script() + ": " + p)));
    }

    private static List<String> split(String list) {
        return Stream.of(list.split("[,\\s]+")).filter(s -> !s.isBlank()).toList();
    }

    /** Each script's figures files in {@code dir}; a file belongs to the script with the longest matching name. */
    static List<ScriptFigures> collect(Path dir, List<String> scripts, Set<String> failed) throws IOException {
        return collect(dir, scripts, failed, Set.of(), null);
    }

    /** As above; a script in {@code ran} whose figures were measured before {@code since} left old figures: stale. */
    static List<ScriptFigures> collect(
            Path dir, List<String> scripts, Set<String> failed, Set<String> ran, Instant since) throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.isDirectory(dir) ? Files.list(dir) : Stream.empty()) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".figures.tsv"))
                    .sorted()
                    .toList();
        }
        List<ScriptFigures> result = new ArrayList<>();
        for (String script : scripts) {
            List<Figure> figures = new ArrayList<>();
            List<String> runs = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            for (Path file : files) {
                if (script.equals(owner(file, scripts))) {
                    read(script, file, figures, runs, problems);
                }
            }
            if (figures.isEmpty() && problems.isEmpty()) {
                problems.add("no figures: no " + script + ".figures.tsv in " + dir
                        + " (the script never ran here, or does not follow the contract)");
            }
            String stale = null;
            if (failed.contains(script)) {
                stale = "the last run failed";
            } else if (ran.contains(script)
                    && since != null
                    && !figures.isEmpty()
                    && runs.stream().anyMatch(r -> before(r, since))) {
                stale = "the last run left figures from before it (" + String.join(", ", runs) + ")";
            }
            result.add(new ScriptFigures(script, figures, runs, problems, stale));
        }
        return result;
    }

    private static boolean before(String run, Instant since) {
        try {
            return Instant.parse(run).isBefore(since);
        } catch (RuntimeException notAnInstant) {
            return true;
        }
    }

    static String owner(Path file, List<String> scripts) {
        String base = file.getFileName().toString().replaceFirst("\\.figures\\.tsv$", "");
        return scripts.stream()
                .filter(s -> base.equals(s) || base.startsWith(s + "-"))
                .max(Comparator.comparingInt(String::length))
                .orElse(null);
    }

    private static void read(String script, Path file, List<Figure> figures, List<String> runs, List<String> problems)
            throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        String name = file.getFileName().toString();
        if (lines.isEmpty() || !lines.get(0).equals(MAGIC)) {
            problems.add(name + ": does not start with '" + MAGIC + "'");
            return;
        }
        boolean header = false;
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("# run ")) {
                runs.add(line.substring(6).strip());
                continue;
            }
            if (line.startsWith("#")) {
                continue;
            }
            if (!header) {
                if (!line.equals(HEADER)) {
                    problems.add(
                            name + ":" + (i + 1) + ": expected the header '" + HEADER.replace("\t", "<TAB>") + "'");
                    return;
                }
                header = true;
                continue;
            }
            String[] f = line.split("\t", -1);
            try {
                if (f.length != 7) {
                    throw new IllegalArgumentException(f.length + " fields, expected 7");
                }
                double value = number("value", f[1]);
                double baseline = number("baseline_value", f[4]);
                if (!(baseline > 0) || !Double.isFinite(value)) {
                    throw new IllegalArgumentException("value must be a number and the baseline a number > 0");
                }
                if (!f[5].equals("-") && !TARGET.matcher(f[5]).matches()) {
                    throw new IllegalArgumentException(
                            "target '" + f[5] + "' is not value>=N, value<=N, ratio>=N, ratio<=N or -");
                }
                figures.add(new Figure(script, f[0], value, f[2], f[3], baseline, f[5], f[6]));
            } catch (IllegalArgumentException e) {
                problems.add(name + ":" + (i + 1) + ": " + e.getMessage());
            }
        }
    }

    private static double number(String field, String text) {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(field + " '" + text + "' is not a number");
        }
    }

    static String render(List<ScriptFigures> scripts, String machine, Instant now) {
        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("Collected by `deploy/bench/all.sh` on ")
                .append(now.truncatedTo(ChronoUnit.SECONDS))
                .append(" from the figures each benchmark ")
                .append(
                        "script wrote (contract: [deploy/bench/README.md](../deploy/bench/README.md)). Every figure is set against a baseline ")
                .append(
                        "measured in the same run on the same machine; ratio = figure / baseline. Targets are on the figure itself (`value`) ")
                .append("or on the ratio (`ratio`).\n\n");
        md.append("Machine (where all.sh ran): ").append(machine).append(".\n\n");
        md.append("| benchmark | figure | value | baseline (same run) | baseline value | ratio | target | met |\n");
        md.append("| --- | --- | ---: | --- | ---: | ---: | --- | --- |\n");
        int met = 0;
        int withTarget = 0;
        for (ScriptFigures s : scripts) {
            for (Figure f : s.figures()) {
                Optional<Boolean> ok = f.met();
                String verdict;
                if (s.stale() != null) {
                    verdict = "stale";
                } else if (ok.isEmpty()) {
                    verdict = "(no target)";
                } else {
                    verdict = ok.get() ? "yes" : "**no**";
                }
                if (ok.isPresent()) {
                    withTarget++;
                    if (ok.get() && s.stale() == null) {
                        met++;
                    }
                }
                md.append("| [")
                        .append(s.script())
                        .append("](")
                        .append(f.detail())
                        .append(") | ")
                        .append(f.figure())
                        .append(" | ")
                        .append(number(f.value()))
                        .append(' ')
                        .append(f.unit())
                        .append(" | ")
                        .append(f.baseline())
                        .append(" | ")
                        .append(number(f.baselineValue()))
                        .append(' ')
                        .append(f.unit())
                        .append(" | ")
                        .append(String.format(Locale.ROOT, "%.2f", f.ratio()))
                        .append(" | ")
                        .append(
                                f.target().equals("-")
                                        ? ""
                                        : "`" + f.target().replace(">=", " >= ").replace("<=", " <= ") + "`")
                        .append(" | ")
                        .append(verdict)
                        .append(" |\n");
            }
        }
        md.append("\n").append(met).append(" of ").append(withTarget).append(" targets met.\n\n");
        md.append("## Runs\n\n| script | run (UTC) | state |\n| --- | --- | --- |\n");
        for (ScriptFigures s : scripts) {
            String state = s.stale() != null
                    ? "**stale**: " + s.stale() + "; its figures above are older"
                    : s.problems().isEmpty() ? "ok" : String.join("; ", s.problems());
            md.append("| `deploy/bench/")
                    .append(s.script())
                    .append(".sh` | ")
                    .append(s.runs().isEmpty() ? "-" : String.join(", ", s.runs()))
                    .append(" | ")
                    .append(state.replace("|", "\\|"))
                    .append(" |\n");
        }
        return md.toString();
    }

    private static String number(double v) {
        double abs = Math.abs(v);
        if (abs >= 100 || v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return String.format(Locale.ROOT, abs >= 10 ? "%.1f" : "%.2f", v);
    }

    /** The machine the benchmarks ran on: CPU model and cores, memory, OS, JDK. */
    static final class Machine {
        private Machine() {}

        static String describe() {
            return describe(
                    read("/proc/cpuinfo"),
                    read("/proc/meminfo"),
                    read("/etc/os-release"),
                    System.getProperty("os.name") + " " + System.getProperty("os.version"),
                    System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                    Runtime.getRuntime().availableProcessors());
        }

        static String describe(
                String cpuinfo, String meminfo, String osRelease, String kernel, String jdk, int availableProcessors) {
            String model = field(cpuinfo, "model name").orElse("unknown CPU");
            long processors =
                    cpuinfo.lines().filter(l -> l.startsWith("processor")).count();
            String cores = (processors > 0 ? processors : availableProcessors) + (processors == 1 ? " core" : " cores");
            if (processors > 0 && processors != availableProcessors) {
                cores += " (" + availableProcessors + " available to the JVM)";
            }
            String memory = field(meminfo, "MemTotal")
                    .map(v -> v.replaceAll("[^0-9]", ""))
                    .filter(v -> !v.isEmpty())
                    .map(kib -> String.format(Locale.ROOT, "%.1f GiB RAM", Long.parseLong(kib) / 1048576.0))
                    .orElse("unknown memory");
            String os = osRelease
                    .lines()
                    .filter(l -> l.startsWith("PRETTY_NAME="))
                    .findFirst()
                    .map(l -> l.substring(12).replace("\"", ""))
                    .orElse("unknown OS");
            return model + ", " + cores + ", " + memory + "; " + os + " (" + kernel + "); " + jdk;
        }

        private static Optional<String> field(String text, String name) {
            return text.lines()
                    .filter(l -> l.startsWith(name) && l.contains(":"))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).strip());
        }

        private static String read(String file) {
            try {
                return Files.readString(Path.of(file));
            } catch (IOException e) {
                return "";
            }
        }
    }
}
