-- SPDX-License-Identifier: MIT
-- Indexes for the portal's hot reads at a reseller's scale (issue 12 item 10): the
-- dashboard's orders waiting for the customer (partial: only the few orders in a waiting
-- state, so that finding them for 201 organizations is 201 probes into a small index and
-- never a walk over the 100,000 issued orders), and a reseller's customers by name (the
-- dashboard and the list's organization filter read them on every view: the index gives
-- them in order without a sort).
CREATE INDEX orders_waiting ON orders (org_id, updated_at, id)
    WHERE state IN ('awaiting_payment', 'on_hold', 'vetting');
CREATE INDEX organizations_reseller_name ON organizations (reseller_org_id, name_ja, id);
