package dev.portcullis.bastion.db;

import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What makes a read grant read-only: the database's own privileges. {@link ReadOnlyGuard} reads SQL text, and text can
 * always be built where no lexer sees it (dynamic SQL, a function that runs a string); the server's privilege checks
 * see every write however it was spelled. So at every login under a read grant, after the proxy's own login upstream
 * and before the client sees ReadyForQuery, the proxy asks the server's catalogs whether the role could write, and
 * refuses the session when it could, naming the first privilege it found:
 * <ul>
 * <li>SUPERUSER, BYPASSRLS, CREATEROLE or CREATEDB;</li>
 * <li>membership of {@code pg_write_server_files}, {@code pg_execute_server_program} or {@code pg_write_all_data};</li>
 * <li>CREATE on the database or on any schema;</li>
 * <li>INSERT, UPDATE, DELETE or TRUNCATE on any table, view or foreign table outside the system catalogs (or INSERT or
 *     UPDATE on any of its columns), USAGE or UPDATE on any sequence, UPDATE on any large object;</li>
 * <li>EXECUTE on a SECURITY DEFINER function outside {@code pg_catalog} and {@code information_schema} whose owner does
 *     not itself pass this check (such a function runs with its owner's privileges, and nobody can tell from outside
 *     whether it writes, so this errs on the side of refusing).</li>
 * </ul>
 * Every one of these is asked for each role the login role is a member of, directly or not, whether it inherits the
 * role's privileges or could only {@code SET ROLE} to it ({@code pg_has_role(..., 'MEMBER')}). The system catalogs
 * are left out: only superusers write them, except {@code pg_settings}, which {@link ReadOnlyGuard} keeps from writes.
 */
final class ReadOnlyRoleCheck {

    /** Owners of SECURITY DEFINER functions are checked in turn; a chain longer than this is refused unread. */
    private static final int MAX_DEPTH = 4;

    private ReadOnlyRoleCheck() {}

    /** The privilege that lets the logged-in role write, in words, or null when it has none. */
    static String whyNotReadOnly(PgUpstream upstream) throws IOException {
        String loggedIn = "(select oid from pg_catalog.pg_roles where rolname = current_user)";
        return check(upstream, loggedIn, new HashSet<>(), 0);
    }

    private static String check(PgUpstream upstream, String role, Set<String> passed, int depth) throws IOException {
        List<List<String>> found = upstream.query(privileges(role));
        if (!found.isEmpty()) {
            return found.get(0).get(0);
        }
        for (List<String> definer : upstream.query(definers(role))) {
            String function = definer.get(0);
            String ownerOid = definer.get(1);
            String owner = definer.get(2);
            if (!passed.add(ownerOid)) {
                continue;
            }
            if (depth >= MAX_DEPTH) {
                return "EXECUTE on SECURITY DEFINER function " + function + " (owned by " + owner
                        + "; too many owners in a row to check)";
            }
            String why = check(upstream, ownerOid + "::oid", passed, depth + 1);
            if (why != null) {
                return "EXECUTE on SECURITY DEFINER function " + function + ", owned by " + owner + ", which has "
                        + why;
            }
        }
        return null;
    }

    /** One row per privilege that could write, in words; {@code role} is an SQL expression for the role's oid. */
    static String privileges(String role) {
        return """
                with c as (select %1$s as oid),
                m as (select r.oid, r.rolname, r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb,
                             case when r.oid = (select oid from c) then ''
                                  else ' (through role ' || quote_ident(r.rolname) || ')' end as via
                      from pg_catalog.pg_roles r where pg_catalog.pg_has_role((select oid from c), r.oid, 'MEMBER')),
                rel as (select cl.oid, cl.relkind from pg_catalog.pg_class cl
                        join pg_catalog.pg_namespace n on n.oid = cl.relnamespace
                        where n.nspname not in ('pg_catalog', 'information_schema')
                          and n.nspname not like 'pg\\_toast%%' and n.nspname not like 'pg\\_temp\\_%%')
                select why from (
                  select 1 as o, 'SUPERUSER' || via as why from m where rolsuper
                  union all select 2, 'BYPASSRLS' || via from m where rolbypassrls
                  union all select 3, 'CREATEROLE' || via from m where rolcreaterole
                  union all select 4, 'CREATEDB' || via from m where rolcreatedb
                  union all select 5, 'membership of ' || rolname from m
                    where rolname in ('pg_write_server_files', 'pg_execute_server_program', 'pg_write_all_data')
                  union all select 6, 'CREATE on database ' || quote_ident(current_database()) || via from m
                    where has_database_privilege(m.oid, current_database(), 'CREATE')
                  union all select 7, 'CREATE on schema ' || quote_ident(n.nspname) || via
                    from m, pg_catalog.pg_namespace n
                    where n.nspname not like 'pg\\_temp\\_%%' and n.nspname not like 'pg\\_toast\\_temp\\_%%'
                      and has_schema_privilege(m.oid, n.oid, 'CREATE')
                  union all select 8, p || ' on table ' || rel.oid::regclass::text || via
                    from m, rel, unnest(array['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p
                    where rel.relkind in ('r', 'p', 'v', 'm', 'f') and has_table_privilege(m.oid, rel.oid, p)
                  union all select 9, p || ' on a column of table ' || rel.oid::regclass::text || via
                    from m, rel, unnest(array['INSERT', 'UPDATE']) p
                    where rel.relkind in ('r', 'p', 'v', 'f') and has_any_column_privilege(m.oid, rel.oid, p)
                  union all select 10, p || ' on sequence ' || rel.oid::regclass::text || via
                    from m, rel, unnest(array['USAGE', 'UPDATE']) p
                    where rel.relkind = 'S' and has_sequence_privilege(m.oid, rel.oid, p)
                  union all select 11, 'UPDATE on large object ' || l.oid || via
                    from m, pg_catalog.pg_largeobject_metadata l
                    where l.lomowner = m.oid or current_setting('lo_compat_privileges') = 'on'
                       or exists (select 1 from aclexplode(l.lomacl) a
                                  where a.privilege_type = 'UPDATE' and a.grantee in (m.oid, 0))
                ) w order by o limit 1""".formatted(role);
    }

    /** SECURITY DEFINER functions the role may run: (function, owner oid, owner name). */
    static String definers(String role) {
        return """
                with c as (select %1$s as oid)
                select distinct p.oid::regprocedure::text, p.proowner::text, quote_ident(pg_get_userbyid(p.proowner))
                from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
                join pg_catalog.pg_roles r on pg_catalog.pg_has_role((select oid from c), r.oid, 'MEMBER')
                where p.prosecdef and n.nspname not in ('pg_catalog', 'information_schema')
                  and has_function_privilege(r.oid, p.oid, 'EXECUTE')
                order by 1""".formatted(role);
    }
}
