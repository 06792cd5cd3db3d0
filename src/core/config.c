/* SPDX-License-Identifier: MIT */
/* Settings table, INI loading (inih) and the documented default file. */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/failalloc.h"
#include "core/text.h"

struct setting {
    const char *section;
    const char *key;
    const char *def;
    const char *doc;
};

/* Every setting the product knows. Keep sections together; docs are one or more lines. */
static const struct setting settings[] = {
    {"server", "bind", "127.0.0.1", "Address the web server listens on."},
    {"server", "port", "8080", "TCP port of the web server (overridden by serve --port)."},
    {"server", "threads", "4", "Worker threads of the HTTP server's thread pool."},
    {"server", "max_body", "1048576",
     "Largest request body accepted, in bytes; larger bodies get 413."},
    {"server", "max_upload", "10485760",
     "Largest document upload, in bytes (the body limit of the upload routes)."},
    {"server", "per_ip_connections", "16",
     "Most simultaneous connections from one client address; 0 = no limit. Behind a\n"
     "reverse proxy every connection comes from the proxy: raise it to the proxy's\n"
     "connections to this server and let the proxy limit each client."},
    {"server", "max_connections", "0",
     "Most simultaneous connections; 0 = 64 per worker thread ([server] threads)."},
    {"server", "page_cache_mb", "32",
     "Memory for rendered dashboard and certificate list pages of customers and resellers,\n"
     "in MiB; a page is kept until a change of its organization's data; 0 = none."},
    {"server", "header_timeout", "10",
     "Seconds a client has to send a whole request head, from connecting or from the end\n"
     "of its previous request; bytes sent slowly do not extend it."},
    {"server", "body_timeout", "120",
     "Seconds a client has to send a request body after its head; bytes do not extend it."},
    {"server", "trusted_proxy", "",
     "Address of the reverse proxy in front (e.g. 127.0.0.1): from it alone X-Real-IP or\n"
     "the last X-Forwarded-For address names the client in the access log. Empty = none."},
    {"server", "base_url", "",
     "Public URL of the portal, used in mails (DCV, password reset, order pages) and in the\n"
     "URLs put into certificates (AIA, CRL, CPS). Empty = http://BIND:PORT of this server\n"
     "(https:// with tls_cert),\n"
     "following [server] port and serve --port (127.0.0.1 for an any-address bind). When\n"
     "set, it is used as given (e.g. behind a reverse proxy); serve warns at start when\n"
     "its port is not the one the server listens on."},
    {"server", "secure_cookies", "true",
     "Mark session cookies Secure (keep true in production behind TLS)."},
    {"server", "tls_cert", "",
     "PEM file (relative to the data directory) with this server's TLS certificate, then\n"
     "its chain: serve speaks HTTPS itself (as ACME clients expect). Empty = plain HTTP,\n"
     "behind a reverse proxy that terminates TLS (docs/nginx.conf.example)."},
    {"server", "tls_key", "",
     "PEM file with the unencrypted private key of tls_cert (keep it mode 0600). Both or\n"
     "neither of tls_cert and tls_key must be set."},

    {"database", "url", "sqlite:shomei.db",
     "sqlite:PATH (relative to the data directory) or postgres://user@host:port/db."},
    {"database", "busy_timeout_ms", "5000",
     "Longest wait for a locked database, in milliseconds; past it a request gets 503\n"
     "with Retry-After."},

    {"ca", "passphrase", "",
     "Passphrase that encrypts CA private keys. SHOMEI_CA_PASSPHRASE in the environment\n"
     "overrides it; one of the two must be set when keys are created or used."},
    {"ca", "organization", "Shomei Demo CA", "Organization name (O) in CA certificates."},
    {"ca", "country", "JP", "Country (C) in CA certificates."},
    {"ca", "root_a_key", "ec-p384",
     "Key type of root A: ec-p256, ec-p384, rsa-2048, rsa-3072 or rsa-4096 (generated\n"
     "in a file, or in the [hsm] token when one is set), or the RFC 7512 URI of an\n"
     "existing key in a PKCS#11 token (pkcs11:token=LABEL;object=LABEL)."},
    {"ca", "root_b_key", "ec-p384", "Key type of root B (same choices)."},
    {"ca", "dv_key", "ec-p256", "Key type of the DV issuing intermediate."},
    {"ca", "ov_key", "ec-p256", "Key type of the OV issuing intermediate."},
    {"ca", "ev_key", "ec-p256", "Key type of the EV issuing intermediate."},
    {"ca", "root_days", "9125",
     "Validity of root certificates in days (BR 7.1.2.1.1: 2922 to 9132)."},
    {"ca", "intermediate_days", "1825", "Validity of intermediate certificates in days."},
    {"ca", "repository_url", "",
     "Base URL of the CA repository (caIssuers, CRLs); empty = base_url + /repository."},
    {"ca", "ocsp_url", "", "OCSP responder URL put into AIA; empty = no OCSP entry."},
    {"ca", "ocsp_dv", "true",
     "OCSP for the DV issuing CA (R-REV-2): false = its certificates carry no OCSP URL\n"
     "and the responder answers unauthorized for its serials (the CRL only)."},
    {"ca", "ocsp_ov", "true", "OCSP for the OV issuing CA, as ocsp_dv."},
    {"ca", "ocsp_ev", "true", "OCSP for the EV issuing CA, as ocsp_dv."},
    {"ca", "cps_url", "", "CPS URI in certificatePolicies; empty = repository_url + /cps."},
    {"ca", "debian_weak_keys", "",
     "File of Debian weak-key fingerprints (CVE-2008-0166, BR 6.1.1.3) the operator\n"
     "supplies, one \"<bits> <last 20 hex digits of SHA-1(\"Modulus=<HEX>\\n\")>\" a line, as\n"
     "converted from the blacklist.RSA-<bits> files of Debian's openssl-blacklist package\n"
     "(scripts/debian-weak-keys); read at start by serve and issue and added to the\n"
     "compiled-in list (empty in this source). Empty = the compiled-in list only."},
    {"ca", "test_ca", "false",
     "Set by `shomei init --test-ca`: the CA names say TEST, every page says so, and\n"
     "`shomei issue` may sign without an order. Read when the CAs are created only."},

    {"hsm", "module", "",
     "PKCS#11 module (shared library) of the token that holds CA keys, e.g. the path of\n"
     "libsofthsm2.so or a vendor's module. Needed when [hsm] token is set or a [ca] *_key\n"
     "is a pkcs11: URI; empty = CA keys in encrypted files."},
    {"hsm", "token", "",
     "Label of the PKCS#11 token in which `shomei init` generates the CA keys (labels\n"
     "root-a, root-b, dv, ov, ev) and the OCSP responders their keys. Empty = CA keys in\n"
     "files, except a [ca] *_key set to an RFC 7512 URI (pkcs11:token=...;object=...),\n"
     "which uses that existing key."},
    {"hsm", "pin", "",
     "User PIN of the token. SHOMEI_HSM_PIN in the environment overrides it; never on\n"
     "the command line."},

    {"issue", "batch", "500",
     "Certificates signed per database commit by bulk issuance (serials are always\n"
     "reserved in a committed transaction before signing). Each batch costs two commits\n"
     "that wait for the disk; a larger batch holds more signed certificates in memory\n"
     "until they are stored."},
    {"issue", "max_per_cn", "2",
     "Most valid certificates one organization may hold for one common name (R-ISS-6)."},
    {"issue", "reservation_lease", "600",
     "Seconds after which a serial reserved by a process on another machine that never\n"
     "stored its certificate is marked abandoned (same-machine processes are checked\n"
     "directly)."},

    {"mail", "enabled", "false",
     "Send queued notices (R-NOT-1). When false, mails stay queued in the outbox."},
    {"mail", "url", "smtp://127.0.0.1:25",
     "SMTP server: smtp://host:port (plain, see starttls) or smtps://host:port (TLS)."},
    {"mail", "starttls", "try", "STARTTLS on smtp:// URLs: none, try (when offered) or required."},
    {"mail", "tls_verify", "true",
     "Verify the server certificate and name. false is for tests and development only."},
    {"mail", "username", "", "SMTP AUTH user name; empty = no authentication."},
    {"mail", "password", "", "SMTP AUTH password."},
    {"mail", "from", "shomei@localhost", "Sender address (From and envelope sender)."},
    {"mail", "from_name", "shomei", "Display name in From (UTF-8)."},
    {"mail", "timeout", "30", "Seconds one SMTP delivery may take."},
    {"mail", "max_attempts", "10",
     "Attempts before a mail is given up as dead; retries wait 1, 2, 4 ... 60 minutes."},
    {"mail", "poll_seconds", "10", "Seconds between outbox polls of the background worker."},
    {"mail", "batch", "20", "Mails claimed per poll."},

    {"dns", "resolver", "recursive",
     "How DNS is resolved for validation and CAA: \"recursive\" (full recursion from the\n"
     "root) or a comma list of ADDR[@PORT] forwarders (e.g. a local validating resolver).\n"
     "Either way every answer is DNSSEC-validated back to the IANA root trust anchor\n"
     "(BR 3.2.2.4, 3.2.2.8.1)."},
    {"dns", "root_trust_anchor", "/usr/share/dns/root.ds",
     "The IANA root zone's trust anchor (DS or DNSKEY lines); the default is Debian's\n"
     "dns-root-data, which lists every current root KSK. It seeds root_anchor_state."},
    {"dns", "root_anchor_state", "dns-root-anchor.key",
     "Writable file (relative to the data directory) where the resolver keeps the root\n"
     "trust anchor up to date by RFC 5011 (key rollovers of the root). Created from\n"
     "root_trust_anchor when absent; delete it to start again from root_trust_anchor."},
    {"dns", "trust_anchor_file", "",
     "Own trust anchors (zone-file DS or DNSKEY lines) that REPLACE the root trust anchor,\n"
     "for a test hierarchy. Only with [testing] not_for_production = true; empty = none."},
    {"dns", "timeout", "10", "Seconds one DNS lookup may take."},
    {"dns", "cache_seconds", "0",
     "Seconds a validated answer may be kept by the resolver (at most its TTL; answers that\n"
     "a name does not exist at most 1 second), 0-300. 0 = every validation resolves anew,\n"
     "DNSSEC chain included. A busy CA sets 30 or so: the chain's DNSKEY and DS records are\n"
     "then validated once per half minute instead of for every name (ACME issuance)."},

    {"dcv", "allow_private", "false",
     "Allow validation fetches to private, CGNAT, ULA and link-local addresses (multicast\n"
     "and reserved ranges are never fetched). Only with [testing] not_for_production."},
    {"dcv", "allow_loopback", "false",
     "Allow validation fetches to loopback addresses. Only with [testing]\n"
     "not_for_production."},
    {"dcv", "allow_benchmarking", "false",
     "Allow validation fetches to the benchmarking range 198.18.0.0/15 (RFC 2544), the\n"
     "addresses of a test network of namespaces. Only with [testing] not_for_production."},
    {"dcv", "http_port", "80",
     "Port of http:// validation URLs. BR 1.6.1 (Authorized Ports) allows only 80 (443 for\n"
     "https); another port only with [testing] not_for_production."},
    {"dcv", "tls_alpn_port", "443",
     "Port ACME tls-alpn-01 validations connect to (RFC 8737: 443); another port only with\n"
     "[testing] not_for_production."},
    {"dcv", "connect_timeout", "5", "Seconds to connect for one validation fetch."},
    {"dcv", "timeout", "15", "Seconds a validation fetch may take, redirects included."},
    {"dcv", "max_body", "65536", "Largest validation response body, in bytes."},
    {"dcv", "max_redirects", "5", "Redirects followed by a validation fetch."},

    {"acme", "orders_per_account", "300",
     "ACME rate limit (RFC 8555 6.7): new orders one account may create in [acme]\n"
     "orders_window; more are refused with rateLimited and Retry-After. 0 = no limit."},
    {"acme", "orders_window", "10800", "Seconds of the window of [acme] orders_per_account."},
    {"acme", "certs_per_domain", "50",
     "ACME rate limit: certificates issued for ACME orders naming one registered domain\n"
     "(public suffix list; by any account) in [acme] certs_window; a new order naming it\n"
     "is then refused with rateLimited and Retry-After. 0 = no limit."},
    {"acme", "certs_window", "604800", "Seconds of the window of [acme] certs_per_domain."},

    {"caa", "identities", "shomei.example",
     "Issuer domain names of this CA in CAA issue/issuewild records (comma list)."},

    {"mpic", "perspectives", "",
     "File (relative to the data directory) listing the remote network perspectives of\n"
     "multi-perspective corroboration (R-VAL-8, BR 3.2.2.9), one a line:\n"
     "'RIR LOCATION URL PUBLIC_KEY' - the RIR of its service region (ARIN, RIPE, APNIC,\n"
     "LACNIC, AFRINIC), its location as LABEL@LAT,LON (e.g. frankfurt@50.11,8.68; any two\n"
     "perspectives at least 500 km apart, checked at start; the coordinates may be left out\n"
     "only under [testing] not_for_production), the URL of its `shomei perspective`\n"
     "(http://HOST:PORT) and its Ed25519 public key (base64, printed by `shomei perspective\n"
     "init`); '#' starts a comment. The dated minimum is 5 from 2026-12-15; with fewer the\n"
     "server refuses to validate. Empty: refused, unless [testing] not_for_production\n"
     "(then validations are the primary's alone and say so)."},
    {"mpic", "key", "mpic.key",
     "Ed25519 secret key that signs the requests to the perspectives (relative to the data\n"
     "directory; made by `shomei perspective keygen FILE`, which prints its public key)."},
    {"mpic", "timeout_ms", "5000",
     "Deadline of one corroboration, in milliseconds: a perspective that has not answered\n"
     "by then counts as a disagreement."},

    {"perspective", "bind", "127.0.0.1", "Address `shomei perspective` listens on."},
    {"perspective", "port", "8470", "TCP port of `shomei perspective`."},
    {"perspective", "label", "perspective", "Name of this perspective in its answers."},
    {"perspective", "key", "perspective.key",
     "Ed25519 secret key that signs this perspective's answers (relative to the data directory)."},
    {"perspective", "primary_key", "",
     "Base64 Ed25519 public key of the primary whose requests this perspective answers;\n"
     "requests signed by any other key are refused."},
    {"perspective", "max_skew", "30",
     "Seconds a request's timestamp may differ from this perspective's clock; older requests\n"
     "and requests past their deadline are refused as stale."},

    {"account", "max_failures", "5",
     "Failed logins within failure_window seconds that lock an account (R-ACT-2)."},
    {"account", "failure_window", "900", "Seconds over which failed logins are counted."},
    {"account", "lock_seconds", "900", "How long a locked account stays locked, in seconds."},
    {"account", "session_idle", "3600", "A session ends after this many idle seconds."},
    {"account", "session_absolute", "43200",
     "A session ends this many seconds after login, however active."},
    {"account", "registration", "true", "Let visitors register customer IDs themselves."},

    {"portal", "maintenance", "4 wed 20:00-08:00",
     "Monthly maintenance window in JST (R-APP-7): \"NTH WEEKDAY HH:MM-HH:MM\" (an end\n"
     "before the start is on the next day) or \"none\". Submissions are refused inside it."},

    {"payment", "hmac_secret", "",
     "Shared secret of the payment callback (R-PAY-1): the body's HMAC-SHA256 in hex;\n"
     "empty = the callback is refused."},

    {"jobs", "vetting_seconds", "60",
     "Seconds between passes of the vetting worker: domain validation retries and issuance\n"
     "of orders whose validation is complete."},
    {"jobs", "subscription_seconds", "3600",
     "Seconds between passes of the subscription sweep: renewal reminders at 90/60/45/30/15\n"
     "days before a subscription ends, the reminder before each certificate of a subscription\n"
     "ends, automatic cancellation at the end date (R-REN-1, R-REN-4, R-REN-6)."},
    {"jobs", "recover_seconds", "60",
     "Seconds between passes of the reservation recovery: serials reserved by a server that\n"
     "ended before storing its certificate are marked abandoned (R-ISS-4; a server of another\n"
     "machine counts as ended after [issue] reservation_lease)."},
    {"jobs", "lease_seconds", "60",
     "Seconds a server holds a scheduled job it runs (renewed while it runs); a job of a\n"
     "server that died is taken over by another one after this long (R-SCL-1)."},

    {"revocation", "crl_check_seconds", "300",
     "Seconds between passes of the CRL job: a CRL is re-signed when a certificate of its\n"
     "CA was revoked since it was signed, and at least every half of its validity (R-REV-2:\n"
     "within an hour of a revocation, at least every 7 days). 1..3600."},
    {"revocation", "crl_validity_days", "7",
     "Days from thisUpdate to nextUpdate of a CRL (1..10, BR 4.9.7)."},
    {"revocation", "crl_shards_dv", "1",
     "CRL shards of the DV CA (1..256). 1: one CRL, {repository}/dv.crl. N: each new\n"
     "certificate is bound to one of {repository}/dv-1.crl .. dv-N.crl, named in its CDP;\n"
     "each shard's CRL carries a critical Issuing Distribution Point with that URL\n"
     "(R-REV-2). Certificates issued before keep dv.crl, which stays published."},
    {"revocation", "crl_shards_ov", "1", "CRL shards of the OV CA (1..256), as crl_shards_dv."},
    {"revocation", "crl_shards_ev", "1", "CRL shards of the EV CA (1..256), as crl_shards_dv."},
    {"revocation", "ocsp_validity_hours", "24",
     "Hours an OCSP response is valid (nextUpdate - thisUpdate; 8..240, R-REV-2)."},
    {"revocation", "ocsp_responder_days", "90",
     "Validity of the delegated OCSP responder certificates, in days (7..365); a new one\n"
     "is made when less than a third of it remains."},

    {"metrics", "listen", "",
     "ADDRESS:PORT (e.g. 127.0.0.1:9464, [::1]:9464) of a second listener that answers\n"
     "GET /metrics in the Prometheus text format (R-OPS-1): this node's counters and the\n"
     "figures of the database. Scrape every node there, not through the load balancer.\n"
     "Empty = no metrics."},
    {"metrics", "allow", "127.0.0.1,::1",
     "Comma-separated client addresses that may read /metrics; others get 403."},

    {"log", "level", "info", "debug, info, warn or error."},
    {"log", "file", "",
     "File of serve's log (the access log included), relative to the data directory;\n"
     "empty = stderr. SIGHUP reopens it (for an external logrotate: move the file, then\n"
     "kill -HUP the server)."},
    {"log", "max_bytes", "104857600",
     "With [log] file: rotate the file at this size into FILE.1 .. FILE.KEEP; 0 = never."},
    {"log", "keep", "5", "With [log] file: rotated files kept (1..99)."},

    {"testing", "not_for_production", "false",
     "!!! NOT FOR PRODUCTION. NEVER SET THIS ON A CA THAT ISSUES REAL CERTIFICATES. !!!\n"
     "true allows the test relaxations, and only it does: [dns] trust_anchor_file (own\n"
     "trust anchors instead of the IANA root), the RFC 6761 test. zone asked of the\n"
     "configured DNS servers, [dcv] http_port other than 80, [dcv] tls_alpn_port other\n"
     "than 443, and validation fetches to loopback, private or benchmarking addresses\n"
     "([dcv] allow_loopback, allow_private, allow_benchmarking). The server\n"
     "logs a warning at start and shows one on every officer and operator page."},
};

#define NSETTINGS (sizeof settings / sizeof settings[0])

struct config {
    char *dir;
    char *values[NSETTINGS]; /* NULL = default */
    char base_url[320];      /* [server] base_url when left empty (derive_base_url) */
};

static int find(const char *section, const char *key)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strcmp(settings[i].section, section) == 0 && strcmp(settings[i].key, key) == 0)
            return (int)i;
    return -1;
}

/* The URL of this server from [server] bind and port, for an empty base_url. */
static void derive_base_url(struct config *c)
{
    const char *bind = config_str(c, "server", "bind"), *port = config_str(c, "server", "port");
    const char *host = bind, *open = "", *close = "";
    if (bind[0] == '\0' || strcmp(bind, "0.0.0.0") == 0 || strcmp(bind, "*") == 0)
        host = "127.0.0.1";
    else if (strcmp(bind, "::") == 0)
        host = "::1";
    if (strchr(host, ':') != NULL) {
        open = "[";
        close = "]";
    }
    const char *scheme = config_str(c, "server", "tls_cert")[0] != '\0' ? "https" : "http";
    snprintf(c->base_url, sizeof c->base_url, "%s://%s%s%s:%s", scheme, open, host, close, port);
}

int config_base_url_explicit(const struct config *c)
{
    int i = find("server", "base_url");
    return i >= 0 && c->values[i] != NULL && c->values[i][0] != '\0';
}

struct config *config_defaults(const char *dir)
{
    struct config *c = sm_calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->dir = sm_strdup(dir ? dir : ".");
    if (c->dir == NULL) {
        free(c);
        return NULL;
    }
    derive_base_url(c);
    return c;
}

void config_free(struct config *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < NSETTINGS; i++)
        free(c->values[i]);
    free(c->dir);
    free(c);
}

int config_set(struct config *c, const char *section, const char *key, const char *value)
{
    int i = find(section, key);
    if (i < 0)
        return -SM_E_INVALID;
    char *v = sm_strdup(value);
    if (v == NULL)
        return -SM_E_NOMEM;
    free(c->values[i]);
    c->values[i] = v;
    if (strcmp(section, "server") == 0 &&
        (strcmp(key, "port") == 0 || strcmp(key, "bind") == 0 || strcmp(key, "tls_cert") == 0))
        derive_base_url(c);
    return 0;
}

struct load_ctx {
    struct config *c;
    struct sm_err *e;
    int failed;
};

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    struct load_ctx *ctx = user;
    if (ctx->failed)
        return 0;
    int rc = config_set(ctx->c, section, name, value);
    if (rc < 0) {
        ctx->failed = 1;
        if (rc == -SM_E_INVALID)
            sm_err_set(ctx->e, SM_E_CONFIG, name, "unknown setting [%s] %s", section, name);
        else
            sm_err_set(ctx->e, SM_E_NOMEM, NULL, "out of memory reading config");
        return 0;
    }
    return 1;
}

int config_load(const char *dir, struct config **out, struct sm_err *e)
{
    char path[4096];
    *out = NULL;
    struct config *c = config_defaults(dir);
    if (c == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (config_path(c, "shomei.ini", path, sizeof path) < 0) {
        config_free(c);
        return sm_err_set(e, SM_E_CONFIG, "dir", "data directory path too long");
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        config_free(c);
        return sm_err_set(e, SM_E_CONFIG, "dir", "cannot open %s: %s", path, strerror(errno));
    }
    struct load_ctx ctx = {c, e, 0};
    int line = ini_parse_file(f, on_entry, &ctx);
    fclose(f);
    if (ctx.failed) {
        config_free(c);
        return -(e ? e->code : SM_E_CONFIG);
    }
    if (line != 0) {
        config_free(c);
        return sm_err_set(e, SM_E_CONFIG, "shomei.ini", "syntax error in %s line %d", path, line);
    }
    *out = c;
    return 0;
}

const char *config_str(const struct config *c, const char *section, const char *key)
{
    int i = find(section, key);
    if (i < 0)
        return "";
    const char *v = c->values[i] ? c->values[i] : settings[i].def;
    if (v[0] == '\0' && strcmp(section, "server") == 0 && strcmp(key, "base_url") == 0)
        return c->base_url;
    return v;
}

int config_int(const struct config *c, const char *section, const char *key, int64_t min,
               int64_t max, int64_t *out, struct sm_err *e)
{
    const char *s = config_str(c, section, key);
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
        return sm_err_set(e, SM_E_CONFIG, key, "[%s] %s = '%s' is not an integer in %lld..%lld",
                          section, key, s, (long long)min, (long long)max);
    *out = v;
    return 0;
}

int config_bool(const struct config *c, const char *section, const char *key)
{
    const char *s = config_str(c, section, key);
    return strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "1") == 0 ||
           strcmp(s, "on") == 0;
}

const char *config_dir(const struct config *c) { return c->dir; }

int config_not_for_production(const struct config *c)
{
    return config_bool(c, "testing", "not_for_production");
}

int config_test_only(const struct config *c, const char *section, const char *key, struct sm_err *e)
{
    if (config_not_for_production(c))
        return 0;
    return sm_err_set(e, SM_E_CONFIG, key,
                      "[%s] %s = %s is a test relaxation: it needs [testing] "
                      "not_for_production = true (never on a production CA)",
                      section, key, config_str(c, section, key));
}

int config_path(const struct config *c, const char *rel, char *out, size_t n)
{
    int w = rel[0] == '/' ? snprintf(out, n, "%s", rel) : snprintf(out, n, "%s/%s", c->dir, rel);
    return (w < 0 || (size_t)w >= n) ? -SM_E_TOO_LARGE : 0;
}

static const char *override_for(const char *const *ov, const char *section, const char *key)
{
    char name[128];
    snprintf(name, sizeof name, "%s.%s", section, key);
    for (; ov && ov[0]; ov += 2)
        if (strcmp(ov[0], name) == 0)
            return ov[1];
    return NULL;
}

int config_write_default(const char *path, const char *const *overrides, struct sm_err *e)
{
    struct buf b = BUF_INIT;
    int rc = buf_puts(&b, "; shomei configuration. Every setting is listed with its default.\n"
                          "; Lines starting with ; are comments.\n");
    const char *section = "";
    for (size_t i = 0; i < NSETTINGS && rc == 0; i++) {
        const struct setting *s = &settings[i];
        if (strcmp(section, s->section) != 0) {
            section = s->section;
            rc = buf_printf(&b, "\n[%s]\n", section);
        }
        const char *p = s->doc;
        while (rc == 0 && *p) {
            const char *nl = strchr(p, '\n');
            size_t l = nl ? (size_t)(nl - p) : strlen(p);
            rc = buf_printf(&b, "; %.*s\n", (int)l, p);
            p += l + (nl ? 1 : 0);
        }
        const char *ov = override_for(overrides, s->section, s->key);
        if (rc == 0)
            rc = buf_printf(&b, "%s = %s\n", s->key, ov ? ov : s->def);
    }
    if (rc < 0) {
        buf_free(&b);
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        buf_free(&b);
        return sm_err_set(e, errno == EEXIST ? SM_E_EXISTS : SM_E_IO, path, "cannot create %s: %s",
                          path, strerror(errno));
    }
    int ok = write_all(fd, b.p, b.len) == 0 && fsync(fd) == 0;
    close(fd);
    buf_free(&b);
    if (!ok)
        return sm_err_set(e, SM_E_IO, path, "cannot write %s", path);
    return 0;
}
