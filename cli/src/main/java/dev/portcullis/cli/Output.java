package dev.portcullis.cli;

import picocli.CommandLine.Option;

/** {@code --output text|json} for listings: json prints the broker's answer as it came, for scripts and jq. */
public final class Output {

    public enum Format {
        text,
        json
    }

    @Option(
            names = {"-o", "--output"},
            defaultValue = "text",
            description = "text (default) or json")
    Format format;

    boolean json() {
        return format == Format.json;
    }
}
