-- Audit rows are chained at commit, inside PostgreSQL. A transaction writes its audit rows to audit_pending as it
-- goes, taking no lock; a deferred constraint trigger moves each one into audit_log when the transaction commits,
-- locking audit_head there. The head's lock is then held for the commit alone, not for the round trips between a
-- broker and PostgreSQL that came after the append and before the commit (under load every transaction queued for it).
-- Pending rows are inserted and deleted by the same transaction, so no other transaction ever sees one.
create table audit_pending (
    seq          bigserial     primary key,
    at           timestamptz   not null,
    actor        varchar(255)  not null,
    action       varchar(63)   not null,
    subject_type varchar(63)   not null,
    subject_id   varchar(255)  not null,
    details      text          not null,
    -- the middle of the row's canonical form (at, actor, action, subject, details), built by the broker in the
    -- length-prefixed form that HashChainedAuditLog.hashOf verifies (lengths in UTF-16 units, as Java counts them)
    canonical    text          not null
);

create function portcullis_chain_audit_row() returns trigger language plpgsql as $$
declare
    next_id bigint;
    prev    text;
    linked  text;
begin
    select last_id + 1, rtrim(last_hash) into next_id, prev from audit_head where singleton for update;
    if not found then
        raise exception 'the audit head row is missing: the audit trail cannot be appended to';
    end if;
    linked := encode(sha256(convert_to(length(next_id::text) || ':' || next_id::text || ';' || new.canonical
                                       || length(prev) || ':' || prev || ';', 'UTF8')), 'hex');
    insert into audit_log (id, at, actor, action, subject_type, subject_id, details, prev_hash, hash)
        values (next_id, new.at, new.actor, new.action, new.subject_type, new.subject_id, new.details, prev, linked);
    update audit_head set last_id = next_id, last_hash = linked where singleton;
    delete from audit_pending where seq = new.seq;
    return null;
end $$;

create constraint trigger audit_pending_chained_at_commit after insert on audit_pending
    deferrable initially deferred for each row execute function portcullis_chain_audit_row();
