package dev.portcullis.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code portcullis login} leaves in {@code session.json}: the broker, where it signs in, the bastion's address,
 * and the tokens with their ends. Read and written whole; the file is 0600.
 */
public final class SignIn {

    final Map<String, Object> values;
    private final Path file;

    private SignIn(Path file, Map<String, Object> values) {
        this.file = file;
        this.values = values;
    }

    public static SignIn load(ConfigDir dir) {
        Path file = dir.resolve("session.json");
        if (!Files.exists(file)) {
            return new SignIn(file, new LinkedHashMap<>());
        }
        try {
            return new SignIn(file, Json.object(Files.readString(file)));
        } catch (IOException | IllegalArgumentException e) {
            throw new CliException(
                    ExitCodes.SIGN_IN, "cannot read " + file + " (" + e.getMessage() + "); run portcullis login again");
        }
    }

    public void save(ConfigDir dir) {
        dir.directory("");
        ConfigDir.writePrivate(file, Json.write(values) + "\n");
    }

    public void forget() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new CliException(ExitCodes.ERROR, "cannot remove " + file + ": " + e.getMessage());
        }
    }

    public String get(String key) {
        return Json.str(values, key);
    }

    public long number(String key) {
        return Json.num(values, key, 0);
    }

    public SignIn put(String key, Object value) {
        if (value == null) {
            values.remove(key);
        } else {
            values.put(key, value);
        }
        return this;
    }

    public String broker() {
        String broker = get("broker");
        if (broker == null) {
            throw new CliException(ExitCodes.SIGN_IN, "not signed in: run portcullis login --broker URL");
        }
        return broker;
    }

    public boolean present() {
        return get("refreshToken") != null || get("accessToken") != null;
    }
}
