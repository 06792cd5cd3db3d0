-- SPDX-License-Identifier: MIT
-- Sharded CRLs (R-REV-2, issue 9 item 5): each certificate is bound to a CRL shard when its
-- serial is reserved, and its CDP names that shard's CRL. Shard 0 is the level's whole CRL
-- ({repository}/{level}.crl, the only one when [revocation] crl_shards_{level} = 1, and the
-- one every certificate issued before sharding names); shards 1..N are
-- {repository}/{level}-{shard}.crl. The crls table keys each published CRL by that file
-- name without ".crl" (issuer = "dv" or "dv-3").
ALTER TABLE certificates ADD COLUMN crl_shard INTEGER NOT NULL DEFAULT 0;
CREATE INDEX certificates_state_shard ON certificates(state, level, crl_shard);
