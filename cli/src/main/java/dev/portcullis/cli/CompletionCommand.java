package dev.portcullis.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Shell completion; one script serves bash and zsh (zsh through bashcompinit). */
@Command(
        name = "completion",
        description = "Print the shell completion script for bash or zsh.",
        footer = {
            "",
            "Example:",
            "  source <(portcullis completion bash)        # in ~/.bashrc",
            "  source <(portcullis completion zsh)         # in ~/.zshrc"
        })
final class CompletionCommand implements Callable<Integer> {

    @ParentCommand
    Main main;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SHELL", description = "bash or zsh")
    String shell;

    @Override
    public Integer call() {
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            throw new IllegalArgumentException("completion is for bash or zsh, not " + shell);
        }
        String script = AutoComplete.bash("portcullis", spec.root().commandLine());
        if (shell.equals("zsh")) {
            script = "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n" + script;
        }
        main.out.print(script);
        return ExitCodes.OK;
    }
}
