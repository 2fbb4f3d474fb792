-- Wakes the grant event streams of every broker replica as soon as an event commits (issue 18: ending a session or a
-- grant within a second). NOTIFY is delivered at commit to every session listening, whichever replica wrote the
-- event, and never before the row is visible. It only hurries the streams along: they still read the outbox from
-- their resume points, and still poll, so a notification lost with a broken connection loses no event.
create function grant_event_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('portcullis_grant_event', '');
    return null;
end $$;
create trigger grant_event_notify after insert on grant_event
    for each statement execute function grant_event_notify();
