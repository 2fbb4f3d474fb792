-- Short-lived credentials people send as their PostgreSQL password to the bastion's database proxy. Only the
-- SHA-256 of each credential is kept; the credential itself is shown once, to the person it was issued to.
create table database_credential (
    credential_hash bytea primary key,
    username        text        not null,
    issued_at       timestamptz not null,
    expires_at      timestamptz not null
);
create index database_credential_expiry on database_credential (expires_at);
