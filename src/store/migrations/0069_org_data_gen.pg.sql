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
-- Moves o's generation and its reseller's (in ascending id order, the order every
-- transaction takes the rows' locks in).
CREATE FUNCTION org_data_bump(o BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF o IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO org_data_gen (org_id, gen)
    SELECT x, 1 FROM (SELECT o AS x UNION SELECT reseller_org_id FROM organizations
                      WHERE id = o AND reseller_org_id IS NOT NULL) s ORDER BY x
    ON CONFLICT (org_id) DO UPDATE SET gen = org_data_gen.gen + 1;
END
$$;
-- Tables with an org_id column: the old and the new organization.
CREATE FUNCTION org_data_gen_org_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM org_data_bump(NEW.org_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.org_id IS DISTINCT FROM NEW.org_id) THEN
        PERFORM org_data_bump(OLD.org_id);
    END IF;
    RETURN NULL;
END
$$;
-- Certificates have no trigger: issuance writes each row twice (R-ISS-4); store/certs.c and
-- store/revocations.c move the generation themselves (datagen_bump_cert).
CREATE TRIGGER orders_gen AFTER INSERT OR UPDATE OR DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION org_data_gen_org_id();
CREATE TRIGGER user_groups_gen AFTER INSERT OR UPDATE OR DELETE ON user_groups
    FOR EACH ROW EXECUTE FUNCTION org_data_gen_org_id();
CREATE TRIGGER cart_items_gen AFTER INSERT OR UPDATE OR DELETE ON cart_items
    FOR EACH ROW EXECUTE FUNCTION org_data_gen_org_id();
-- An organization: itself, and the reseller it had and has (its customers list).
CREATE FUNCTION org_data_gen_organizations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM org_data_bump(NEW.id);
    ELSE
        PERFORM org_data_bump(OLD.id);
        PERFORM org_data_bump(OLD.reseller_org_id);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.reseller_org_id IS DISTINCT FROM NEW.reseller_org_id THEN
        PERFORM org_data_bump(OLD.reseller_org_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER organizations_gen AFTER INSERT OR UPDATE OR DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION org_data_gen_organizations();
-- Rows that name an order: its organization.
CREATE FUNCTION org_data_gen_order_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM org_data_bump((SELECT org_id FROM orders WHERE id = NEW.order_id));
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.order_id IS DISTINCT FROM NEW.order_id) THEN
        PERFORM org_data_bump((SELECT org_id FROM orders WHERE id = OLD.order_id));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER order_domains_gen AFTER INSERT OR UPDATE OR DELETE ON order_domains
    FOR EACH ROW EXECUTE FUNCTION org_data_gen_order_id();
-- Rows that name a group: the group's organization.
CREATE FUNCTION org_data_gen_group_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM org_data_bump((SELECT org_id FROM user_groups WHERE id = NEW.group_id));
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.group_id IS DISTINCT FROM NEW.group_id) THEN
        PERFORM org_data_bump((SELECT org_id FROM user_groups WHERE id = OLD.group_id));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER group_members_gen AFTER INSERT OR UPDATE OR DELETE ON group_members
    FOR EACH ROW EXECUTE FUNCTION org_data_gen_group_id();
CREATE TRIGGER cert_groups_gen AFTER INSERT OR UPDATE OR DELETE ON cert_groups
    FOR EACH ROW EXECUTE FUNCTION org_data_gen_group_id();
-- A user's settings (the list's columns): the user's organization.
CREATE FUNCTION org_data_gen_user_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM org_data_bump((SELECT org_id FROM users WHERE id = NEW.user_id));
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.user_id IS DISTINCT FROM NEW.user_id) THEN
        PERFORM org_data_bump((SELECT org_id FROM users WHERE id = OLD.user_id));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER user_prefs_gen AFTER INSERT OR UPDATE OR DELETE ON user_prefs
    FOR EACH ROW EXECUTE FUNCTION org_data_gen_user_id();
-- Products (names in every list): organization 0.
CREATE FUNCTION org_data_gen_global() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM org_data_bump(0);
    RETURN NULL;
END
$$;
CREATE TRIGGER products_gen AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH ROW EXECUTE FUNCTION org_data_gen_global();
-- A user made or unmade the organization's administrator, or moved: who sees which group's
-- certificates (role and name are read with the session and key the page themselves).
CREATE TRIGGER users_gen AFTER UPDATE OF org_admin, org_id ON users
    FOR EACH ROW EXECUTE FUNCTION org_data_gen_org_id();
CREATE TRIGGER users_gen_id AFTER INSERT OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION org_data_gen_org_id();
