-- SPDX-License-Identifier: MIT
-- Groups of users of one organization (SureBoard グループ, issue 12 item 6): each group has
-- an application template (organization, contacts, notification addresses as JSON) for the
-- wizard, members, and certificates filed under it (cert_groups: one group per
-- certificate, moved by an audited action). A group never spans organizations.
CREATE TABLE user_groups (
    id @PK@,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    template TEXT NOT NULL DEFAULT '{}',
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, name)
);
CREATE TABLE group_members (
    group_id BIGINT NOT NULL REFERENCES user_groups(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);
CREATE TABLE cert_groups (
    cert_id BIGINT PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES user_groups(id),
    moved_at BIGINT NOT NULL
);
CREATE INDEX cert_groups_group ON cert_groups (group_id);
