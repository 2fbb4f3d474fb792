-- The search index: what sessions did (typed command lines, exec commands, SQL statements, file transfers and
-- operations, port forwards, terminal output lines), one row each, fed by the bastions while sessions run. Who, where,
-- as whom and under which grant are copied from the session's own row when the entry is stored, never taken from the
-- bastion's word, so a search filters and authorizes on one table. Substring search uses pg_trgm's GIN index (it
-- serves ILIKE '%...%', which full-text search cannot: docs/search.md says what was measured). pg_trgm is a trusted
-- extension (PostgreSQL 13+): the owner of the broker's database may create it; Debian ships it in postgresql-contrib.
create extension if not exists pg_trgm;

create table search_entry (
    id            bigserial    primary key,
    session_id    uuid         not null references bastion_session (id),
    request_id    uuid,
    username      varchar(255) not null,
    target        varchar(63)  not null,
    login         varchar(63)  not null,
    protocol      varchar(16)  not null,
    kind          varchar(16)  not null check (kind in ('exec', 'command', 'output', 'query', 'file', 'forward')),
    at            timestamptz  not null,
    offset_micros bigint       not null check (offset_micros >= 0),
    text          text         not null,
    detail        text
);
create index search_entry_text on search_entry using gin (text gin_trgm_ops);
create index search_entry_at on search_entry (at desc);
create index search_entry_username on search_entry (username, at desc);
create index search_entry_session on search_entry (session_id, offset_micros, id);
