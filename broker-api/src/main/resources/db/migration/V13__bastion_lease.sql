-- Each bastion process holds a lease it renews with the broker. When a lease lapses (the process was killed, its host
-- or network went away) nobody is left to report the end of its sessions, so the broker marks them ABORTED (bastion
-- lost) instead of leaving them OPEN for good. A session names the lease (bastion_instance) it was opened under; rows
-- from before, and sessions of bastions inside the broker's process, name none and are not touched.
create table bastion_lease (
    instance_id uuid primary key,
    bastion     varchar(255) not null,
    client_id   varchar(255) not null,
    started_at  timestamptz not null,
    renewed_at  timestamptz not null,
    expires_at  timestamptz not null,
    ended_at    timestamptz,
    end_reason  varchar(1000)
);
create index bastion_lease_live on bastion_lease (expires_at) where ended_at is null;

alter table bastion_session add column bastion_instance uuid;
create index bastion_session_open_by_instance on bastion_session (bastion_instance) where status = 'OPEN';

-- ABORTED: the broker ended the session for a bastion that was lost with it open.
alter table bastion_session drop constraint bastion_session_status_check;
alter table bastion_session add constraint bastion_session_status_check
    check (status in ('OPEN', 'CLOSED', 'GRANT_ENDED', 'RECORDING_FAILED', 'REFUSED', 'ERROR', 'ABORTED'));
