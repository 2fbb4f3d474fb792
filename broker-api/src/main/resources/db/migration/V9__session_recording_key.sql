-- Which bastion registered a session and with which recording-signing key (SHA-256 of its X.509 encoding, as
-- manifests and checkpoints name their signer). A recording verifies only with the key of the bastion that opened
-- its session, so one bastion's key cannot vouch for a recording put in place of another's. Rows from before have
-- neither and verify as they did (against any trusted key the manifest names).
alter table bastion_session add column recording_key varchar(64) check (recording_key ~ '^[0-9a-f]{64}$');
alter table bastion_session add column registered_by varchar(255);
