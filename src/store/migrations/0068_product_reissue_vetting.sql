-- SPDX-License-Identifier: MIT
-- R-RI-5: each product's vetting policy for reissues. "none": the reissue relies on the
-- original's domain validations and organization checks while their dated reuse periods
-- last; "full": the reissue's names and (OV/EV) organization are vetted again like a new
-- order before it is signed.
ALTER TABLE products ADD COLUMN reissue_vetting TEXT NOT NULL DEFAULT 'none'
    CHECK (reissue_vetting IN ('none', 'full'));
