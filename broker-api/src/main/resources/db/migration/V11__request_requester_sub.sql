-- The Keycloak account id (the token's sub) of whoever asked: a username can pass to another account after a rename
-- or a deletion, an account id cannot, so a grant stays with the account that asked for it. Requests made before this
-- migration have none (null): nothing recorded which account asked, and continuous verification checks them by
-- username alone, as before, until they end.
alter table access_request add column requester_sub varchar(255);
