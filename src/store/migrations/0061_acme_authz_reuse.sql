-- Reuse of ACME authorizations (RFC 8555 7.1.4, R-VAL-2) and revocation by an account that
-- holds authorizations for every name (RFC 8555 7.6): valid authorizations looked up by name.
CREATE INDEX acme_authzs_name ON acme_authzs(name, status);
