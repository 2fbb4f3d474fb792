-- Access requests and grants. Rows are never deleted: a terminal state is the audit record.
create table access_request (
    id               uuid primary key,
    requester        varchar(255) not null,
    target           varchar(63)  not null,
    kind             varchar(16)  not null,
    login            varchar(63)  not null,
    rule             varchar(63)  not null,
    access           varchar(8)   not null,
    duration_seconds bigint       not null check (duration_seconds > 0),
    reason           varchar(1000),
    ticket           varchar(200),
    state            varchar(16)  not null check (state in ('PENDING','ACTIVE','EXPIRED','REVOKED','DENIED','CANCELLED','TIMED_OUT')),
    created_at       timestamptz  not null,
    pending_until    timestamptz  not null,
    granted_at       timestamptz,
    ends_at          timestamptz,
    ended_at         timestamptz,
    ended_by         varchar(255),
    end_reason       varchar(1000),
    version          bigint       not null default 0
);
create index access_request_requester on access_request (requester, created_at desc);
create index access_request_state on access_request (state, created_at desc);
create index access_request_ends on access_request (ends_at) where state = 'ACTIVE';

-- One row per person per request: the unique key is a second line of defence for
-- "each approval counts once per distinct person", behind the domain's own check.
create table request_review (
    id          bigserial primary key,
    request_id  uuid         not null references access_request (id),
    reviewer    varchar(255) not null,
    decision    varchar(8)   not null check (decision in ('APPROVE','DENY')),
    comment     varchar(1000),
    reviewed_at timestamptz  not null,
    constraint request_review_once_per_person unique (request_id, reviewer)
);

-- Rows may be added but never changed or removed, even by a buggy broker.
create function portcullis_refuse_change() returns trigger language plpgsql as $$
begin
    raise exception '% is append-only', tg_table_name;
end $$;
create trigger request_review_append_only before update or delete on request_review
    for each row execute function portcullis_refuse_change();
create trigger access_request_never_deleted before delete on access_request
    for each row execute function portcullis_refuse_change();
