-- SPDX-License-Identifier: MIT
-- Managing many certificates (R-MNG-1, R-MNG-3): per-user settings of the portal (the
-- columns chosen for the certificate list, "certlist.columns"), and the indexes the list's
-- keyset paging (sort value, id), the dashboard's renewable count (a certificate already
-- renewed has an order naming it as predecessor; partial, so that statistics over a column
-- that is mostly NULL do not talk the planner out of it) and the waiting orders read.
CREATE TABLE user_prefs (
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, name)
);
CREATE INDEX certificates_expiry_id ON certificates (not_after, id);
CREATE INDEX certificates_start_id ON certificates (not_before, id);
CREATE INDEX certificates_cn_id ON certificates (cn, id);
CREATE INDEX orders_predecessor ON orders (predecessor_cert_id) WHERE predecessor_cert_id IS NOT NULL;
CREATE INDEX orders_org_state ON orders (org_id, state);
