-- Hash-chained audit log: each row carries the SHA-256 of the previous row and of its own canonical
-- content, so an edited, removed or re-ordered row breaks the chain. audit_head holds the newest
-- link; appending locks it, which keeps ids gapless and the chain linear under concurrency.
create table audit_log (
    id           bigint primary key,
    at           timestamptz   not null,
    actor        varchar(255)  not null,
    action       varchar(63)   not null,
    subject_type varchar(63)   not null,
    subject_id   varchar(255)  not null,
    details      text          not null,
    prev_hash    char(64)      not null,
    hash         char(64)      not null
);
create index audit_log_subject on audit_log (subject_type, subject_id);
create index audit_log_actor on audit_log (actor, id);
create index audit_log_action on audit_log (action, id);

create table audit_head (
    singleton  boolean primary key default true check (singleton),
    last_id    bigint   not null,
    last_hash  char(64) not null
);
insert into audit_head (singleton, last_id, last_hash) values (true, 0, repeat('0', 64));

create trigger audit_log_append_only before update or delete on audit_log
    for each row execute function portcullis_refuse_change();
