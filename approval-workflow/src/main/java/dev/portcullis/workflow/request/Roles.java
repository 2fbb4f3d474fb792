package dev.portcullis.workflow.request;

/**
 * Directory groups with a fixed meaning to the broker itself (approver groups come from the policy). Always full
 * paths from the realm's root: a group that merely has the same name somewhere else ({@code /teams/x/admins})
 * is a different group and gives nothing.
 */
public final class Roles {

    /** May read every request, session and the audit log. */
    public static final String AUDITORS = "/auditors";
    /** May do what auditors do, and revoke grants and end sessions. */
    public static final String ADMINS = "/admins";

    private Roles() {}
}
