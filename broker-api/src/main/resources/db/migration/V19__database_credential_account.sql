-- The Keycloak account id (the token's sub) a database credential was issued to. A username can pass to another
-- account after a rename or a deletion, an account id cannot: the proxy asks for the grants of this account only, as
-- it does for SSH certificates, which name their account. Credentials issued before this migration name no account
-- (null): nothing recorded which account asked, so they are no longer accepted (they last at most 24 hours anyway,
-- and are refused with a one-line reason); people ask for a new one.
alter table database_credential add column account varchar(255);
