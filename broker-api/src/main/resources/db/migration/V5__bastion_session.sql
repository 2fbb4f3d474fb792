-- The session index: one row per session a bastion opened, written when it opens and completed when it
-- ends. The recording itself is in the recording store under recording_id. Rows are never deleted, and a
-- session's end is written once: a row that left OPEN never changes again.
create table bastion_session (
    id             uuid          primary key,
    request_id     uuid          references access_request (id),
    username       varchar(255)  not null,
    target         varchar(63)   not null,
    login          varchar(63)   not null,
    protocol       varchar(16)   not null check (protocol in ('ssh', 'postgres')),
    recording_id   varchar(128),
    bastion        varchar(255),
    client_address varchar(255),
    started_at     timestamptz   not null,
    ended_at       timestamptz,
    bytes_in       bigint        not null default 0 check (bytes_in >= 0),
    bytes_out      bigint        not null default 0 check (bytes_out >= 0),
    status         text          not null check (status in ('OPEN', 'CLOSED', 'GRANT_ENDED', 'RECORDING_FAILED', 'REFUSED', 'ERROR')),
    detail         text
);
create index bastion_session_username on bastion_session (username, started_at desc);
create index bastion_session_target on bastion_session (target, started_at desc);
create index bastion_session_request on bastion_session (request_id);

create function bastion_session_end_once() returns trigger language plpgsql as $$
begin
    if old.status <> 'OPEN' then
        raise exception 'bastion_session %: its end is recorded already', old.id;
    end if;
    return new;
end $$;
create trigger bastion_session_end_once before update on bastion_session
    for each row execute function bastion_session_end_once();
create trigger bastion_session_never_deleted before delete on bastion_session
    for each row execute function portcullis_refuse_change();
