package dev.portcullis.broker.persistence;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Refuses to start a broker whose database login could rewrite the audit trail: a superuser, the tables' owner, or a
 * role with UPDATE, DELETE or TRUNCATE on {@code audit_log} or {@code audit_head}. With such a login whoever reads the
 * broker's configuration could empty or rewrite the trail, and the signed heads would be the only thing left to tell.
 * The migrations (V10) set the privileges up; this is the check that an installation actually uses them.
 */
@ApplicationScoped
public class AppendOnlyLogin {

    @Inject
    DataSource dataSource;

    @ConfigProperty(name = "portcullis.db.require-append-only-login", defaultValue = "true")
    boolean required;

    void onStart(@Observes StartupEvent event) {
        if (!required) {
            return;
        }
        List<String> problems;
        try (Connection connection = dataSource.getConnection()) {
            problems = problems(connection);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot check the broker's database login: " + e.getMessage(), e);
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the broker's database login can rewrite the audit trail ("
                    + String.join("; ", problems) + "): serve with a runtime role that owns nothing and run the "
                    + "migrations as the owner (quarkus.flyway.username); see the README, \"Database roles\"");
        }
    }

    /** What the current login may do to the audit trail that only the owner should; empty when nothing. */
    static List<String> problems(Connection connection) throws SQLException {
        List<String> problems = new ArrayList<>();
        try (PreparedStatement s = connection.prepareStatement("""
                select current_user, r.rolsuper,
                       pg_has_role(current_user, t.tableowner, 'USAGE') as owns_log,
                       has_table_privilege('audit_log', 'UPDATE, DELETE, TRUNCATE') as changes_log,
                       has_table_privilege('audit_head', 'UPDATE, DELETE, TRUNCATE') as changes_head
                from pg_roles r, pg_tables t
                where r.rolname = current_user and t.schemaname = current_schema() and t.tablename = 'audit_log'""");
                ResultSet rs = s.executeQuery()) {
            if (!rs.next()) {
                problems.add("no audit_log table in its schema");
                return problems;
            }
            String login = rs.getString(1);
            if (rs.getBoolean(2)) {
                problems.add(login + " is a superuser");
            }
            if (rs.getBoolean(3)) {
                problems.add(login + " owns audit_log (or is a member of its owner)");
            }
            if (rs.getBoolean(4)) {
                problems.add(login + " may update, delete or truncate audit_log");
            }
            if (rs.getBoolean(5)) {
                problems.add(login + " may update, delete or truncate audit_head");
            }
        }
        return problems;
    }
}
