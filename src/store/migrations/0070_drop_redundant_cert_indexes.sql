-- SPDX-License-Identifier: MIT
-- Issuance writes every certificate row twice (reserved, then issued: R-ISS-4), and every
-- index of the table is written with it (issue 8 item 29). Three indexes only repeated
-- others: certificates_cn and certificates_expiry are the leading column of
-- certificates_cn_id and certificates_expiry_id (the same entries in SQLite, whose
-- indexes end with the row id; a usable prefix in PostgreSQL), and certificates_state is
-- the leading column of certificates_reserved (state, reserved_at). Dropping them halves
-- the pages an issued certificate writes; every query they served is served by the index
-- that contains them.
DROP INDEX certificates_state;
DROP INDEX certificates_cn;
DROP INDEX certificates_expiry;
