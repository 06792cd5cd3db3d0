-- SPDX-License-Identifier: MIT
-- The client address of the request behind an audit record (issue 8 item 17: the peer, or
-- what the trusted reverse proxy forwarded); NULL for records of jobs and the CLI and for
-- every record written before this column existed. A record with an address has it in its
-- hash as a seventh field; a record without one hashes as before, so the existing chain
-- verifies unchanged (store/audit.c).
ALTER TABLE audit_log ADD COLUMN client_ip TEXT;
