-- SPDX-License-Identifier: MIT
-- Sharded CRLs (R-REV-2, issue 9 item 5): each certificate is bound to a CRL shard when its
-- serial is reserved, and its CDP names that shard's CRL. Shard 0 is the level's whole CRL
-- ({repository}/{level}.crl, the only one when [revocation] crl_shards_{level} = 1, and the
-- one every certificate issued before sharding names); shards 1..N are
-- {repository}/{level}-{shard}.crl. The crls table keys each published CRL by that file
-- name without ".crl" (issuer = "dv" or "dv-3").
ALTER TABLE certificates ADD COLUMN crl_shard INTEGER NOT NULL DEFAULT 0;
-- The CRL job reads a shard's revoked certificates from this index alone (partial: only
-- revoked rows; covering: serial, date and reason), in serial order, and counts them.
CREATE INDEX certificates_crl ON certificates(level, crl_shard, serial, revoked_at,
    revocation_reason, state) WHERE state = 'revoked';
