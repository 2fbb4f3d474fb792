-- Retention, recorded with each session when it is registered: the rule the session's grant was given under and
-- that rule's retention then (null: kept for ever), and the earliest moment its recording's payload may be deleted
-- (the broker's clock at registration plus the retention). Later policy edits can lengthen the retention of sessions
-- registered before them, never shorten it (RetentionSweep). Sessions registered before this migration name no
-- retention and are kept for ever.
alter table bastion_session add column retention_rule varchar(63);
alter table bastion_session add column retention_days integer check (retention_days between 1 and 36500);
alter table bastion_session add column retain_until timestamptz;
alter table bastion_session add constraint bastion_session_retention_whole
    check ((retention_days is null) = (retain_until is null));
create index bastion_session_retain_until on bastion_session (retain_until) where retain_until is not null;

-- Legal holds: while a hold is live, no recording it covers is deleted, whatever its retention. A hold names one
-- session, or a ticket (every session under a grant requested with that ticket, now and later). Placed and released
-- by auditors and admins with a reason, each audited; a hold is released once and never deleted.
create table legal_hold (
    id             uuid          primary key,
    session_id     uuid          references bastion_session (id),
    ticket         varchar(200),
    reason         varchar(1000) not null,
    placed_by      varchar(255)  not null,
    placed_at      timestamptz   not null,
    released_by    varchar(255),
    released_at    timestamptz,
    release_reason varchar(1000),
    check ((session_id is null) <> (ticket is null)),
    check ((released_at is null) = (released_by is null) and (released_at is null) = (release_reason is null))
);
create unique index legal_hold_live_session on legal_hold (session_id) where released_at is null and session_id is not null;
create unique index legal_hold_live_ticket on legal_hold (ticket) where released_at is null and ticket is not null;
create index access_request_ticket on access_request (ticket) where ticket is not null;

create function legal_hold_release_once() returns trigger language plpgsql as $$
begin
    if old.released_at is not null then
        raise exception 'legal hold %: it is released already', old.id;
    end if;
    if new.id <> old.id or new.session_id is distinct from old.session_id or new.ticket is distinct from old.ticket
            or new.reason <> old.reason or new.placed_by <> old.placed_by or new.placed_at <> old.placed_at then
        raise exception 'legal hold %: only its release may be recorded', old.id;
    end if;
    return new;
end $$;
create trigger legal_hold_release_once before update on legal_hold
    for each row execute function legal_hold_release_once();
create trigger legal_hold_never_deleted before delete on legal_hold
    for each row execute function portcullis_refuse_change();
create trigger legal_hold_no_truncate before truncate on legal_hold
    for each statement execute function portcullis_refuse_change();

-- The retention job's bookkeeping: one row per recording whose payload it deleted (or began to), written in the
-- transaction that appends the signed tombstone to the audit chain; chunks_deleted_at once the store confirmed. The
-- tombstone in the audit chain, not this row, is what verification trusts.
create table recording_purge (
    session_id        uuid          primary key references bastion_session (id),
    recording_id      varchar(128)  not null,
    rule              varchar(63)   not null,
    retention_days    integer       not null,
    tombstoned_at     timestamptz   not null,
    chunks_deleted_at timestamptz
);
create index recording_purge_unfinished on recording_purge (tombstoned_at) where chunks_deleted_at is null;

create function recording_purge_finish_once() returns trigger language plpgsql as $$
begin
    if old.chunks_deleted_at is not null or new.session_id <> old.session_id or new.recording_id <> old.recording_id
            or new.rule <> old.rule or new.retention_days <> old.retention_days
            or new.tombstoned_at <> old.tombstoned_at then
        raise exception 'recording_purge %: only the end of its deletion may be recorded, once', old.session_id;
    end if;
    return new;
end $$;
create trigger recording_purge_finish_once before update on recording_purge
    for each row execute function recording_purge_finish_once();
create trigger recording_purge_never_deleted before delete on recording_purge
    for each row execute function portcullis_refuse_change();
create trigger recording_purge_no_truncate before truncate on recording_purge
    for each statement execute function portcullis_refuse_change();

do $$
begin
    execute format('revoke delete on legal_hold, recording_purge from %I', '${runtime_role}');
end $$;
