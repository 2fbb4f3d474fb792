-- The verification status a search shows beside each hit, stored (issue 18). Verifying a recording hashes every
-- chunk of it; doing that for each hit of each search made searches slow. The broker verifies a recording once its
-- session ends, again every so often in the background, and whenever a replay or download verifies it in full (those
-- still verify before they hand anything out); a search only reads the last verdict.
create table recording_verdict (
    session_id uuid        primary key references bastion_session (id),
    status     varchar(24) not null
        check (status in ('UNCHECKED', 'VALID', 'INCOMPLETE', 'TAMPERED', 'MISSING', 'DELETED_BY_POLICY')),
    problem    text,
    -- when the verdict was reached; null while UNCHECKED
    checked_at timestamptz,
    -- when the background check (re)verifies it; null: not due (an open session's verdict, from a replay)
    check_due  timestamptz
);
create index recording_verdict_due on recording_verdict (check_due) where check_due is not null;

-- Every end of a recorded session, whichever code writes it (the bastion's report, the lapsed-lease sweep), makes
-- its recording due for a check: a verdict reached while it was being written says nothing about the closed one.
-- A TAMPERED verdict stays TAMPERED until the check says otherwise.
create function recording_verdict_due_at_end() returns trigger language plpgsql as $$
begin
    if new.recording_id is not null and new.status <> 'OPEN' and (tg_op = 'INSERT' or old.status = 'OPEN') then
        insert into recording_verdict (session_id, status, check_due) values (new.id, 'UNCHECKED', now())
        on conflict (session_id) do update set check_due = now(),
            status = case when recording_verdict.status = 'TAMPERED' then 'TAMPERED' else 'UNCHECKED' end,
            problem = case when recording_verdict.status = 'TAMPERED' then recording_verdict.problem end,
            checked_at = case when recording_verdict.status = 'TAMPERED' then recording_verdict.checked_at end;
    end if;
    return null;
end $$;
create trigger recording_verdict_due_at_end after insert or update of status on bastion_session
    for each row execute function recording_verdict_due_at_end();

-- Sessions that ended before this migration: checked in the background, oldest first.
insert into recording_verdict (session_id, status, check_due)
select id, 'UNCHECKED', coalesce(ended_at, started_at) from bastion_session
where recording_id is not null and status <> 'OPEN';
