-- Outbox of notifications (mail, chat, signed webhooks). A row is written in the same transaction as the decision it
-- reports, so a decision never goes untold and a dead endpoint never holds a decision up; senders on every broker
-- replica claim due rows with FOR UPDATE SKIP LOCKED (each row sent by one of them) and record the outcome. The id is
-- the message's stable id (webhook-id, Message-ID): a retried message carries the same one, so receivers can drop
-- duplicates.
create table notification_outbox (
    id            uuid          primary key,
    request_id    uuid          not null references access_request (id),
    event         varchar(32)   not null,
    channel       varchar(63)   not null,
    payload       text          not null,
    -- sent only while the request is still in this state (reminders: PENDING; ending soon: ACTIVE), else skipped
    only_while    varchar(16),
    created_at    timestamptz   not null,
    due_at        timestamptz   not null,
    status        varchar(16)   not null default 'PENDING' check (status in ('PENDING', 'SENT', 'FAILED', 'SKIPPED')),
    attempts      integer       not null default 0,
    claimed_until timestamptz,
    last_error    varchar(1000),
    done_at       timestamptz
);
create index notification_outbox_due on notification_outbox (due_at) where status = 'PENDING';
create index notification_outbox_failed on notification_outbox (done_at) where status = 'FAILED';
create index notification_outbox_request on notification_outbox (request_id);
