package dev.portcullis.broker.policy;

import dev.portcullis.workflow.policy.PolicyException;
import dev.portcullis.workflow.policy.PolicyLoader;
import dev.portcullis.workflow.policy.PolicySet;
import dev.portcullis.workflow.port.PolicySource;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The policy file named by {@code portcullis.policy.file}. The broker does not start with a broken file;
 * an edited file is picked up within a few seconds, and a broken edit is logged and ignored, so the
 * last good policy stays in force rather than none.
 */
@ApplicationScoped
@Startup
public class FilePolicySource implements PolicySource {

    private static final Logger LOG = Logger.getLogger(FilePolicySource.class);
    private static final long CHECK_EVERY_MILLIS = 2000;

    private final Path file;
    /** Every jitGroup of the policy must lie below this group ({@code portcullis.jit.parent}). */
    private final String jitParent;

    private volatile PolicySet current;
    private volatile FileTime loadedModified;
    private volatile long lastCheck;

    public FilePolicySource(
            @ConfigProperty(name = "portcullis.policy.file") String file,
            @ConfigProperty(name = "portcullis.jit.parent", defaultValue = "/jit") String jitParent) {
        this.file = Path.of(file).toAbsolutePath();
        this.jitParent = jitParent;
        try {
            this.loadedModified = Files.getLastModifiedTime(this.file);
            this.current = PolicyLoader.load(this.file, jitParent);
        } catch (PolicyException e) {
            throw new IllegalStateException(e.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot read the policy file " + this.file + " (set portcullis.policy.file): " + e.getMessage(), e);
        }
        LOG.infof(
                "policy %s: %d targets, %d rules",
                this.file, current.targets().size(), current.rules().size());
    }

    @Override
    public PolicySet current() {
        long now = System.currentTimeMillis();
        if (now - lastCheck > CHECK_EVERY_MILLIS) {
            lastCheck = now;
            reloadIfChanged();
        }
        return current;
    }

    private synchronized void reloadIfChanged() {
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            if (modified.equals(loadedModified)) {
                return;
            }
            loadedModified = modified;
            current = PolicyLoader.load(file, jitParent);
            LOG.infof(
                    "policy %s reloaded: %d targets, %d rules",
                    file, current.targets().size(), current.rules().size());
        } catch (PolicyException e) {
            LOG.errorf("policy %s changed but is invalid; keeping the previous policy.%n%s", file, e.getMessage());
        } catch (IOException e) {
            LOG.errorf("policy %s cannot be read (%s); keeping the previous policy", file, e.getMessage());
        }
    }
}
