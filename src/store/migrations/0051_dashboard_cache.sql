-- SPDX-License-Identifier: MIT
-- The dashboard's figures per scope (R-MNG-1): the expiry months, the renewable count and a
-- reseller's customers take a scan of every certificate in scope (100,000 for a large
-- reseller); they are kept here for a short time (ra/dashboard.c DASH_CACHE_SECONDS) so
-- that reloading the dashboard does not scan again. key names the scope ("org:<role>:<id>"
-- or "all") and the Tokyo month the figures start in.
CREATE TABLE dashboard_cache (
    key TEXT PRIMARY KEY,
    computed_at BIGINT NOT NULL,
    body TEXT NOT NULL
);
