-- A database credential is issued for one target and is nobody's on any other. Credentials issued before this
-- migration name no target and are no longer accepted (they lasted at most 24 hours anyway); people ask for a new one.
alter table database_credential add column target text;
