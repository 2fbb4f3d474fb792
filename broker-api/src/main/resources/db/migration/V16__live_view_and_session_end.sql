-- Live view and ending one session (issue 18).
--
-- The grant-event outbox also carries instructions about one session: 'watch' (someone started watching it, so its
-- bastion streams it) and 'end-session' (an admin ends it). They ride the stream every bastion already follows, with
-- its resume points, so an instruction published on one broker replica reaches a bastion following another.
alter table grant_event add column session_id uuid;
alter table grant_event drop constraint grant_event_kind_check;
alter table grant_event add constraint grant_event_kind_check
    check (kind in ('started', 'ended', 'watch', 'end-session'));
alter table grant_event add constraint grant_event_session_instruction
    check ((kind in ('watch', 'end-session')) = (session_id is not null));

-- A session an admin ended by itself, the grant staying.
alter table bastion_session drop constraint bastion_session_status_check;
alter table bastion_session add constraint bastion_session_status_check
    check (status in ('OPEN', 'CLOSED', 'GRANT_ENDED', 'RECORDING_FAILED', 'REFUSED', 'ERROR', 'TERMINATED', 'ABORTED'));

-- Who watches which live session, on any replica: a row per open viewer, renewed while its stream is open, so a
-- viewer whose replica died stops counting once its row expires. The bastion streams while a session has one.
create table live_watch (
    id         uuid         primary key,
    session_id uuid         not null references bastion_session (id),
    viewer     varchar(255) not null,
    expires_at timestamptz  not null
);
create index live_watch_session on live_watch (session_id, expires_at);

-- Terminal output (or statements) of watched sessions, from their bastion to whichever replica serves the viewer.
-- Short-lived: rows older than a few minutes are deleted; the recording is the record, this is only the wire.
create table live_frame (
    id         bigserial    primary key,
    session_id uuid         not null,
    at         timestamptz  not null,
    kind       char(1)      not null check (kind in ('o', 'r')),
    data       text         not null,
    created_at timestamptz  not null default now()
);
create index live_frame_session on live_frame (session_id, id);
create index live_frame_created on live_frame (created_at);
