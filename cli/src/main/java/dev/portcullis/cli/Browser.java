package dev.portcullis.cli;

import java.io.File;
import java.util.List;

/** Opens a URL in the desktop's browser when there is a desktop; says nothing when there is none. */
final class Browser {

    private Browser() {}

    static void open(String url) {
        List<String> command;
        String os = System.getProperty("os.name", "").toLowerCase();
        if (os.contains("mac")) {
            command = List.of("open", url);
        } else if (System.getenv("DISPLAY") != null || System.getenv("WAYLAND_DISPLAY") != null) {
            command = List.of("xdg-open", url);
        } else {
            return;
        }
        if (!onPath(command.get(0))) {
            return;
        }
        try {
            new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (java.io.IOException e) {
            // the printed URL is enough
        }
    }

    static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (new File(dir, program).canExecute()) {
                return true;
            }
        }
        return false;
    }
}
