-- Whoever holds the broker's own database login must not be able to rewrite, empty or drop the audit trail. From here
-- the migrations run as an owner role (quarkus.flyway.username) and the broker serves with a runtime role
-- (quarkus.datasource.username, the placeholder runtime_role) that owns nothing: normal DML on its working tables
-- (requests, sessions, Quartz's job store, ...), no DDL, no TRUNCATE, and on the audit tables reads plus appends only,
-- through audit_pending, whose chaining trigger runs with the owner's rights.
-- Existing installations hand their tables to the owner first (README, "Database roles"):
--   create role portcullis_owner login password '...';
--   reassign owned by portcullis to portcullis_owner;  -- in the broker's database, as a superuser
do $$
declare
    runtime text := '${runtime_role}';
    schema  text := current_schema();
begin
    if runtime = current_user then
        raise exception 'the migrations run as the broker''s runtime login %: set quarkus.flyway.username (and password) '
            'to an owner role of their own (README, "Database roles")', runtime;
    end if;
    if not exists (select 1 from pg_roles where rolname = runtime) then
        raise exception 'the broker''s runtime login % does not exist', runtime;
    end if;
    if (select tableowner from pg_tables where schemaname = schema and tablename = 'audit_log') <> current_user then
        raise exception 'the migrations run as %, which does not own the tables: hand them over first with '
            'reassign owned by <the old owner> to % (README, "Database roles")', current_user, current_user;
    end if;

    execute format('grant usage on schema %I to %I', schema, runtime);
    execute format('grant select, insert, update, delete on all tables in schema %I to %I', schema, runtime);
    execute format('grant usage, select on all sequences in schema %I to %I', schema, runtime);
    -- tables and sequences of later migrations (created by this owner) get the same
    execute format('alter default privileges in schema %I grant select, insert, update, delete on tables to %I', schema, runtime);
    execute format('alter default privileges in schema %I grant usage, select on sequences to %I', schema, runtime);
    -- Flyway's own history is the owner's alone
    execute format('revoke all on %I from %I', '${flyway:table}', runtime);

    -- The audit trail: read, and append through audit_pending; audit_log and audit_head change only in the trigger.
    execute format('revoke all on audit_log, audit_head, audit_pending from %I', runtime);
    execute format('grant select on audit_log, audit_head to %I', runtime);
    execute format('grant insert on audit_pending to %I', runtime);
    -- Append-only tables (their triggers refuse the rest; privileges refuse it before them).
    execute format('revoke update, delete on request_review, grant_event from %I', runtime);
    execute format('revoke delete on access_request, bastion_session from %I', runtime);

    -- The chaining trigger moves pending rows into audit_log and moves the head, which the runtime role may not do
    -- itself: it runs as its owner, with a search path no other role can put a table of its own in front of.
    execute format('alter function portcullis_chain_audit_row() security definer set search_path = %I, pg_temp', schema);
    execute format('revoke all on function portcullis_chain_audit_row() from public');
end $$;

-- TRUNCATE fires no row triggers: refuse it on every table whose rows are never removed, even for the owner.
create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function portcullis_refuse_change();
create trigger audit_head_no_truncate before truncate on audit_head
    for each statement execute function portcullis_refuse_change();
create trigger request_review_no_truncate before truncate on request_review
    for each statement execute function portcullis_refuse_change();
create trigger grant_event_no_truncate before truncate on grant_event
    for each statement execute function portcullis_refuse_change();
create trigger access_request_no_truncate before truncate on access_request
    for each statement execute function portcullis_refuse_change();
create trigger bastion_session_no_truncate before truncate on bastion_session
    for each statement execute function portcullis_refuse_change();
create trigger audit_head_never_deleted before delete on audit_head
    for each row execute function portcullis_refuse_change();
