-- Outbox of grant events for bastions. A row is written in the same transaction as the state change it
-- reports, so no ended grant is ever missed; bastions read the table through the event stream and
-- resume after the last id they saw. Rows are never changed or deleted.
create table grant_event (
    id         bigserial    primary key,
    request_id uuid         not null references access_request (id),
    kind       varchar(16)  not null check (kind in ('started', 'ended')),
    requester  varchar(255) not null,
    target     varchar(63)  not null,
    login      varchar(63)  not null,
    state      varchar(16)  not null,
    ends_at    timestamptz,
    reason     varchar(1000),
    at         timestamptz  not null
);
create index grant_event_request on grant_event (request_id);
create trigger grant_event_append_only before update or delete on grant_event
    for each row execute function portcullis_refuse_change();
