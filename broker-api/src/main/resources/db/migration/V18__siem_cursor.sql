-- The SIEM stream (docs/siem.md): one row per sink, the id and hash of the last audit row that sink acknowledged.
-- A broker sends a sink's next rows only while it holds this row locked (select ... for update skip locked), so with
-- several replicas each row goes out through one sender per sink at a time, and the cursor moves only after the sink
-- said yes. Rows are added by the broker for each sink it is configured with, starting before the first audit row.
create table siem_cursor (
    sink        varchar(63) primary key,
    last_id     bigint      not null check (last_id >= 0),
    last_hash   char(64)    not null,
    updated_at  timestamptz not null default now()
);
-- The runtime role gets select, insert, update and delete through V10's default privileges; the stream never deletes.
do $$
begin
    execute format('revoke delete, truncate on siem_cursor from %I', '${runtime_role}');
end $$;
