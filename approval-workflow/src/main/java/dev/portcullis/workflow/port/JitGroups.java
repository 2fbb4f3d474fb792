package dev.portcullis.workflow.port;

import java.util.Set;

/** Group membership the broker manages in the identity provider for the lifetime of grants. */
public interface JitGroups {

    /** @param group a group path such as {@code jit/prod-db-admins} */
    void add(String username, String group);

    void remove(String username, String group);

    /** Usernames of the direct members; throws when the group does not exist. */
    Set<String> members(String group);
}
