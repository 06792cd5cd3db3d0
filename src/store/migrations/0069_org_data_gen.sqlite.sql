-- SPDX-License-Identifier: MIT
-- A generation per organization of the data its portal pages show (issue 12 item 10,
-- R-MNG-1): the database moves it in the same transaction as any change of a certificate,
-- order, DCV name, organization, group, membership, filed certificate, cart item or list
-- setting of the organization, whoever writes it (ra/ actions, jobs, the CLI). A change of a
-- customer organization's rows moves its reseller's generation too; a change of a product
-- moves the row of organization 0, which every page reads with its own. web/pagecache keys
-- rendered pages by it, so one read says whether a cached page is still what the database
-- holds, on every node of one database.
CREATE TABLE org_data_gen (
    org_id BIGINT PRIMARY KEY,
    gen BIGINT NOT NULL
);
-- INSERT INTO org_data_bump (org_id) VALUES (X) moves X's generation and its reseller's.
CREATE VIEW org_data_bump AS SELECT org_id FROM org_data_gen;
CREATE TRIGGER org_data_bump_do INSTEAD OF INSERT ON org_data_bump WHEN NEW.org_id IS NOT NULL
BEGIN
    INSERT INTO org_data_gen (org_id, gen)
    SELECT NEW.org_id, 1 WHERE true
    UNION SELECT reseller_org_id, 1 FROM organizations
        WHERE id = NEW.org_id AND reseller_org_id IS NOT NULL
    ON CONFLICT (org_id) DO UPDATE SET gen = gen + 1;
END;
-- Certificates have no trigger: issuance writes each row twice (R-ISS-4), and a trigger's
-- program on the table costs a quarter of bulk issuance even when it moves nothing;
-- store/certs.c and store/revocations.c move the generation themselves (datagen_bump_cert).
CREATE TRIGGER orders_gen_i AFTER INSERT ON orders
BEGIN INSERT INTO org_data_bump (org_id) VALUES (NEW.org_id); END;
CREATE TRIGGER orders_gen_u AFTER UPDATE ON orders
BEGIN
    INSERT INTO org_data_bump (org_id) VALUES (NEW.org_id);
    INSERT INTO org_data_bump (org_id) SELECT OLD.org_id WHERE OLD.org_id IS NOT NEW.org_id;
END;
CREATE TRIGGER orders_gen_d AFTER DELETE ON orders
BEGIN INSERT INTO org_data_bump (org_id) VALUES (OLD.org_id); END;
CREATE TRIGGER order_domains_gen_i AFTER INSERT ON order_domains
BEGIN INSERT INTO org_data_bump (org_id) SELECT org_id FROM orders WHERE id = NEW.order_id; END;
CREATE TRIGGER order_domains_gen_u AFTER UPDATE ON order_domains
BEGIN
    INSERT INTO org_data_bump (org_id) SELECT org_id FROM orders
        WHERE id = NEW.order_id OR id = OLD.order_id;
END;
CREATE TRIGGER order_domains_gen_d AFTER DELETE ON order_domains
BEGIN INSERT INTO org_data_bump (org_id) SELECT org_id FROM orders WHERE id = OLD.order_id; END;
-- an organization: itself, and the reseller it had and has (its customers list)
CREATE TRIGGER organizations_gen_i AFTER INSERT ON organizations
BEGIN INSERT INTO org_data_bump (org_id) VALUES (NEW.id); END;
CREATE TRIGGER organizations_gen_u AFTER UPDATE ON organizations
BEGIN
    INSERT INTO org_data_bump (org_id) VALUES (NEW.id);
    INSERT INTO org_data_bump (org_id) SELECT OLD.reseller_org_id
        WHERE OLD.reseller_org_id IS NOT NEW.reseller_org_id;
END;
CREATE TRIGGER organizations_gen_d AFTER DELETE ON organizations
BEGIN
    INSERT INTO org_data_bump (org_id) VALUES (OLD.id);
    INSERT INTO org_data_bump (org_id) VALUES (OLD.reseller_org_id);
END;
CREATE TRIGGER user_groups_gen_i AFTER INSERT ON user_groups
BEGIN INSERT INTO org_data_bump (org_id) VALUES (NEW.org_id); END;
CREATE TRIGGER user_groups_gen_u AFTER UPDATE ON user_groups
BEGIN
    INSERT INTO org_data_bump (org_id) VALUES (NEW.org_id);
    INSERT INTO org_data_bump (org_id) SELECT OLD.org_id WHERE OLD.org_id IS NOT NEW.org_id;
END;
CREATE TRIGGER user_groups_gen_d AFTER DELETE ON user_groups
BEGIN INSERT INTO org_data_bump (org_id) VALUES (OLD.org_id); END;
CREATE TRIGGER group_members_gen_i AFTER INSERT ON group_members
BEGIN INSERT INTO org_data_bump (org_id) SELECT org_id FROM user_groups WHERE id = NEW.group_id; END;
CREATE TRIGGER group_members_gen_u AFTER UPDATE ON group_members
BEGIN
    INSERT INTO org_data_bump (org_id) SELECT org_id FROM user_groups
        WHERE id = NEW.group_id OR id = OLD.group_id;
END;
CREATE TRIGGER group_members_gen_d AFTER DELETE ON group_members
BEGIN INSERT INTO org_data_bump (org_id) SELECT org_id FROM user_groups WHERE id = OLD.group_id; END;
CREATE TRIGGER cert_groups_gen_i AFTER INSERT ON cert_groups
BEGIN INSERT INTO org_data_bump (org_id) SELECT org_id FROM user_groups WHERE id = NEW.group_id; END;
CREATE TRIGGER cert_groups_gen_u AFTER UPDATE ON cert_groups
BEGIN
    INSERT INTO org_data_bump (org_id) SELECT org_id FROM user_groups
        WHERE id = NEW.group_id OR id = OLD.group_id;
END;
CREATE TRIGGER cert_groups_gen_d AFTER DELETE ON cert_groups
BEGIN INSERT INTO org_data_bump (org_id) SELECT org_id FROM user_groups WHERE id = OLD.group_id; END;
CREATE TRIGGER cart_items_gen_i AFTER INSERT ON cart_items
BEGIN INSERT INTO org_data_bump (org_id) VALUES (NEW.org_id); END;
CREATE TRIGGER cart_items_gen_u AFTER UPDATE ON cart_items
BEGIN
    INSERT INTO org_data_bump (org_id) VALUES (NEW.org_id);
    INSERT INTO org_data_bump (org_id) SELECT OLD.org_id WHERE OLD.org_id IS NOT NEW.org_id;
END;
CREATE TRIGGER cart_items_gen_d AFTER DELETE ON cart_items
BEGIN INSERT INTO org_data_bump (org_id) VALUES (OLD.org_id); END;
CREATE TRIGGER user_prefs_gen_i AFTER INSERT ON user_prefs
BEGIN INSERT INTO org_data_bump (org_id) SELECT org_id FROM users WHERE id = NEW.user_id; END;
CREATE TRIGGER user_prefs_gen_u AFTER UPDATE ON user_prefs
BEGIN
    INSERT INTO org_data_bump (org_id) SELECT org_id FROM users
        WHERE id = NEW.user_id OR id = OLD.user_id;
END;
CREATE TRIGGER user_prefs_gen_d AFTER DELETE ON user_prefs
BEGIN INSERT INTO org_data_bump (org_id) SELECT org_id FROM users WHERE id = OLD.user_id; END;
CREATE TRIGGER products_gen_u AFTER UPDATE ON products
BEGIN INSERT INTO org_data_bump (org_id) VALUES (0); END;
CREATE TRIGGER products_gen_i AFTER INSERT ON products
BEGIN INSERT INTO org_data_bump (org_id) VALUES (0); END;
CREATE TRIGGER products_gen_d AFTER DELETE ON products
BEGIN INSERT INTO org_data_bump (org_id) VALUES (0); END;
-- a user made or unmade the organization's administrator, or moved: who sees which group's
-- certificates (role and name are read with the session and key the page themselves)
CREATE TRIGGER users_gen_u AFTER UPDATE OF org_admin, org_id ON users
BEGIN
    INSERT INTO org_data_bump (org_id) VALUES (NEW.org_id);
    INSERT INTO org_data_bump (org_id) SELECT OLD.org_id WHERE OLD.org_id IS NOT NEW.org_id;
END;
CREATE TRIGGER users_gen_i AFTER INSERT ON users
BEGIN INSERT INTO org_data_bump (org_id) VALUES (NEW.org_id); END;
CREATE TRIGGER users_gen_d AFTER DELETE ON users
BEGIN INSERT INTO org_data_bump (org_id) VALUES (OLD.org_id); END;
