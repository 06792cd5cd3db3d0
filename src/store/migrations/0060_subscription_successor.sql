-- SPDX-License-Identifier: MIT
-- The history of a certificate (R-RI-7) follows its subscription's line forward: a
-- subscription closed by a renewal or a replacing application (R-REN-2, R-REN-3) is the
-- predecessor of the one that opened, found through this index.
CREATE INDEX subscriptions_predecessor ON subscriptions(predecessor_id);
