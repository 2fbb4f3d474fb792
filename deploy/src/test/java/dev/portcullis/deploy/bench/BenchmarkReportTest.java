package dev.portcullis.deploy.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.deploy.bench.BenchmarkReport.Figure;
import dev.portcullis.deploy.bench.BenchmarkReport.ScriptFigures;
import dev.portcullis.local.BenchmarkFigures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** deploy/bench/all.sh's collection: the figures contract, ratios and targets, the report, and the script's dry mode. */
class BenchmarkReportTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @Test
    void whatABenchmarkWritesIsWhatTheReportReads(@TempDir Path dir) throws Exception {
        Path page = dir.resolve("bastion.md");
        Path written = new BenchmarkFigures("benchmarks/bastion.md")
                .add(
                        "bulk throughput through the recording bastion",
                        157.25,
                        "MiB/s",
                        "OpenSSH ProxyJump",
                        298,
                        "ratio>=0.9")
                .add("session set-up through the bastion", 187, "ms", "OpenSSH ProxyJump", 371, "ratio<=1.2")
                .writeBeside(page);
        assertThat(written).isEqualTo(dir.resolve("bastion.figures.tsv"));
        new BenchmarkFigures("benchmarks/bastion-concurrency.md")
                .add(
                        "bastion heap after a full GC, 1000 sessions open",
                        434,
                        "MiB",
                        "the same bastion idle",
                        38,
                        "value<=1024")
                .writeBeside(dir.resolve("bastion-concurrency.md"));

        List<ScriptFigures> collected = BenchmarkReport.collect(dir, List.of("bastion", "workflow"), Set.of());
        ScriptFigures bastion = collected.get(0);
        assertThat(bastion.problems()).isEmpty();
        assertThat(bastion.runs()).hasSize(2);
        assertThat(bastion.figures())
                .extracting(Figure::figure)
                .containsExactly(
                        "bastion heap after a full GC, 1000 sessions open",
                        "bulk throughput through the recording bastion",
                        "session set-up through the bastion");
        Figure throughput = bastion.figures().get(1);
        assertThat(throughput.value()).isEqualTo(157.3);
        assertThat(throughput.ratio()).isCloseTo(0.528, org.assertj.core.data.Offset.offset(0.001));
        assertThat(throughput.met()).contains(false);
        assertThat(bastion.figures().get(2).met()).contains(true);
        assertThat(bastion.figures().get(0).met()).contains(true);
        assertThat(collected.get(1).figures()).isEmpty();
        assertThat(collected.get(1).problems()).singleElement().asString().contains("no workflow.figures.tsv");
    }

    @Test
    void targetsOnTheValueOrOnTheRatio() {
        assertThat(figure(250, 1000, "value>=200").met()).contains(true);
        assertThat(figure(150, 100, "value>=200").met()).contains(false);
        assertThat(figure(900, 50, "value<=1000").met()).contains(true);
        assertThat(figure(90, 100, "ratio>=0.9").met()).contains(true);
        assertThat(figure(89, 100, "ratio>=0.9").met()).contains(false);
        assertThat(figure(130, 100, "ratio<=1.2").met()).contains(false);
        assertThat(figure(130, 100, "-").met()).isEqualTo(Optional.empty());
    }

    @Test
    void theReportShowsEachFigureAgainstItsBaselineAndTheMachine() {
        ScriptFigures workflow = new ScriptFigures(
                "workflow",
                List.of(new Figure(
                        "workflow",
                        "request + 2 approvals",
                        38,
                        "flows/s",
                        "3 GET /api/v1/me per flow",
                        410,
                        "value>=200",
                        "benchmarks/workflow.md")),
                List.of("2026-11-23T12:00:00Z"),
                List.of(),
                null);
        ScriptFigures grantEnd = new ScriptFigures(
                "grant-end",
                List.of(new Figure(
                        "grant-end",
                        "grant end to event, p99",
                        139,
                        "ms",
                        "release by hand, p99",
                        120,
                        "value<=1000",
                        "benchmarks/grant-end.md")),
                List.of("2026-11-22T10:00:00Z"),
                List.of(),
                "the last run failed");
        ScriptFigures postgres = new ScriptFigures(
                "postgres", List.of(), List.of(), List.of("no figures: no postgres.figures.tsv"), null);
        String md = BenchmarkReport.render(
                List.of(workflow, grantEnd, postgres),
                "AMD EPYC, 2 cores, 23.5 GiB RAM; Debian 12; OpenJDK 17",
                Instant.parse("2026-11-23T12:30:00Z"));
        assertThat(md)
                .startsWith("# Benchmarks\n")
                .contains("Machine (where all.sh ran): AMD EPYC, 2 cores, 23.5 GiB RAM; Debian 12; OpenJDK 17.")
                .contains(
                        "| [workflow](benchmarks/workflow.md) | request + 2 approvals | 38 flows/s | 3 GET /api/v1/me per flow | 410 flows/s | 0.09 | `value >= 200` | **no** |")
                .contains(
                        "| [grant-end](benchmarks/grant-end.md) | grant end to event, p99 | 139 ms | release by hand, p99 | 120 ms | 1.16 | `value <= 1000` | stale |")
                .contains("0 of 2 targets met.")
                .contains("| `deploy/bench/postgres.sh` | - | no figures: no postgres.figures.tsv |")
                .contains(
                        "| `deploy/bench/grant-end.sh` | 2026-11-22T10:00:00Z | **stale**: the last run failed; its figures above are older |");
    }

    @Test
    void figuresLeftFromBeforeARunAreStale(@TempDir Path dir) throws Exception {
        new BenchmarkFigures("benchmarks/workflow.md")
                .add("flows", 250, "flows/s", "GET /me", 400, "value>=200")
                .writeBeside(dir.resolve("workflow.md"));
        Files.writeString(
                dir.resolve("bastion.figures.tsv"),
                BenchmarkFigures.MAGIC + "\n# run 2026-11-01T00:00:00Z\n" + BenchmarkFigures.HEADER + "\n"
                        + "throughput\t150\tMiB/s\tProxyJump\t300\tratio>=0.9\tbenchmarks/bastion.md\n");
        Instant since = Instant.now().minusSeconds(60);
        List<ScriptFigures> collected = BenchmarkReport.collect(
                dir,
                List.of("workflow", "bastion", "grant-end"),
                Set.of("grant-end"),
                Set.of("workflow", "bastion", "grant-end"),
                since);
        assertThat(collected.get(0).stale()).isNull();
        assertThat(collected.get(1).stale()).contains("from before it (2026-11-01T00:00:00Z)");
        assertThat(collected.get(2).stale()).isEqualTo("the last run failed");
        assertThat(collected.get(2).problems()).singleElement().asString().contains("no grant-end.figures.tsv");
        // a script that did not run this time keeps its figures without a mark
        assertThat(BenchmarkReport.collect(dir, List.of("bastion"), Set.of(), Set.of(), since)
                        .get(0)
                        .stale())
                .isNull();
    }

    @Test
    void aFileThatBreaksTheContractIsReportedNotGuessed(@TempDir Path dir) throws Exception {
        Files.writeString(
                dir.resolve("workflow.figures.tsv"),
                BenchmarkFigures.MAGIC + "\n" + BenchmarkFigures.HEADER + "\n"
                        + "flows\tfast\tflows/s\tbaseline\t10\tvalue>=200\tbenchmarks/workflow.md\n"
                        + "flows\t5\tflows/s\tbaseline\t0\tvalue>=200\tbenchmarks/workflow.md\n"
                        + "flows\t5\tflows/s\tbaseline\t10\tfaster\tbenchmarks/workflow.md\n"
                        + "flows\t5\tflows/s\n"
                        + "flows\t5\tflows/s\tbaseline\t10\tvalue>=200\tbenchmarks/workflow.md\n");
        Files.writeString(dir.resolve("grant-end.figures.tsv"), "figure\tvalue\n");
        List<ScriptFigures> collected = BenchmarkReport.collect(dir, List.of("workflow", "grant-end"), Set.of());
        assertThat(collected.get(0).figures()).hasSize(1);
        assertThat(collected.get(0).problems())
                .hasSize(4)
                .anySatisfy(p -> assertThat(p).contains(":3:"))
                .anySatisfy(p -> assertThat(p).contains("target 'faster'"))
                .anySatisfy(p -> assertThat(p).contains("3 fields, expected 7"))
                .anySatisfy(p -> assertThat(p).contains("value 'fast' is not a number"));
        assertThat(collected.get(1).problems())
                .singleElement()
                .asString()
                .contains("does not start with '" + BenchmarkFigures.MAGIC + "'");
    }

    @Test
    void theWriterRefusesWhatTheReaderWouldRefuse() {
        BenchmarkFigures figures = new BenchmarkFigures("benchmarks/x.md");
        assertThatThrownBy(() -> figures.add("a\tb", 1, "s", "base", 1, "-"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> figures.add("a", 1, "s", "base", 0, "-")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> figures.add("a", Double.NaN, "s", "base", 1, "-"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> figures.add("a", 1, "s", "base", 1, "value > 3"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFileBelongsToTheScriptWithTheLongestMatchingName() {
        List<String> scripts = List.of("bastion", "bastion-db", "workflow");
        assertThat(BenchmarkReport.owner(Path.of("bastion.figures.tsv"), scripts))
                .isEqualTo("bastion");
        assertThat(BenchmarkReport.owner(Path.of("bastion-concurrency.figures.tsv"), scripts))
                .isEqualTo("bastion");
        assertThat(BenchmarkReport.owner(Path.of("bastion-db.figures.tsv"), scripts))
                .isEqualTo("bastion-db");
        assertThat(BenchmarkReport.owner(Path.of("bastions.figures.tsv"), scripts))
                .isNull();
    }

    @Test
    void theMachineIsDescribedFromProcAndOsRelease() {
        String cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n";
        String meminfo = "MemTotal:       24641536 kB\nMemFree: 1 kB\n";
        String os = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assertThat(BenchmarkReport.Machine.describe(
                        cpuinfo, meminfo, os, "Linux 6.1.0", "OpenJDK 64-Bit Server VM 17.0.15", 2))
                .isEqualTo(
                        "AMD EPYC 7B13, 2 cores, 23.5 GiB RAM; Debian GNU/Linux 12 (bookworm) (Linux 6.1.0); OpenJDK 64-Bit Server VM 17.0.15");
        assertThat(BenchmarkReport.Machine.describe("", "", "", "Linux", "JDK", 4))
                .isEqualTo("unknown CPU, 4 cores, unknown memory; unknown OS (Linux); JDK");
    }

    @Test
    void allShCollectsTheLastFiguresWithoutRunningABenchmark(@TempDir Path dir) throws Exception {
        new BenchmarkFigures("benchmarks/workflow.md")
                .add("request + 2 approvals", 250, "flows/s", "3 GET /api/v1/me per flow", 400, "value>=200")
                .writeBeside(dir.resolve("workflow.md"));
        Path report = dir.resolve("benchmarks.md");
        ProcessBuilder pb = new ProcessBuilder(
                        "bash", REPO.resolve("deploy/bench/all.sh").toString(), "--collect-only")
                .redirectErrorStream(true);
        pb.environment().put("BENCH_FIGURES_DIR", dir.toString());
        pb.environment().put("BENCH_REPORT", report.toString());
        Process all = pb.start();
        String output = new String(all.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(all.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(all.exitValue()).as(output).isZero();
        assertThat(output).doesNotContain("== ").contains("wrote " + report + ": 1 figures from");
        String md = Files.readString(report);
        assertThat(md)
                .contains(
                        "| request + 2 approvals | 250 flows/s | 3 GET /api/v1/me per flow | 400 flows/s | 0.63 | `value >= 200` | yes |")
                .contains("1 of 1 targets met.");
        // every script under deploy/bench except all.sh is covered, found by listing the directory
        try (var scripts = Files.list(REPO.resolve("deploy/bench"))) {
            scripts.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".sh") && !n.equals("all.sh"))
                    .forEach(n -> assertThat(md).contains("`deploy/bench/" + n + "`"));
        }
        assertThat(md).doesNotContain("| `deploy/bench/all.sh` |");
    }

    private static Figure figure(double value, double baseline, String target) {
        return new Figure("x", "f", value, "u", "b", baseline, target, "benchmarks/x.md");
    }
}
