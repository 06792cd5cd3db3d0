/* SPDX-License-Identifier: MIT */
/* The tamper-evident audit log (R-OPS-1): every state change appends one record to a
 * SHA-256 hash chain in table audit_log. There is deliberately no function that deletes
 * or rewrites records: they are kept for at least two years (in practice, forever).
 *
 * Record hash (see core/hashchain.h): hash = hex(SHA-256(prev_hash || N(seq) || N(at) ||
 * N(actor) || N(action) || N(object) || N(detail) [|| N(client_ip)])) where N(x) =
 * "<byte length>:<x>," and seq and at are decimal; the first record's prev_hash is 64 '0'
 * characters. The client address (migration 0019) is hashed only when the record has one:
 * records written before it, and records of jobs and the CLI, hash as six fields. */
#ifndef SM_AUDIT_H
#define SM_AUDIT_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"

struct db;

#define AUDIT_MAX_DETAIL    65536 /* bytes of detail JSON */
#define AUDIT_MAX_CLIENT_IP 64    /* bytes of a client address */

/* Appends one record at clock_now(). Must run inside the caller's transaction (db_begin)
 * so the record commits or rolls back with the change it describes. The record is kept in
 * memory; a pre-commit hook (db_on_commit) reads and locks the chain head (SQLite: BEGIN
 * IMMEDIATE already serializes writers; PostgreSQL: SELECT ... FOR UPDATE on audit_head,
 * held until COMMIT), links and inserts the transaction's records in append order and
 * writes the head once, so sequence numbers have no gaps and the chain no forks, and the
 * head is the last lock the transaction takes (after every row it changed: no deadlock
 * between changes that touch rows in different orders). Per record one INSERT, per
 * transaction one SELECT and one UPDATE. A rollback drops the records. Until the commit
 * the records are not in audit_log, not even for the same connection; a failure to write
 * them fails the commit.
 * actor: "user:42", "system", "cli" ...; action: "order.approve" ...; both non-empty.
 * object: what was changed ("order:2024-0001"), NULL = "". detail_json: a JSON object or
 * NULL (= "{}"). Returns 0, -SM_E_INVALID, -SM_E_TOO_LARGE, -SM_E_INTERNAL (no
 * transaction) or a database error. The record carries the client address of the request
 * the connection serves (db_for_client), if any. */
int audit_append(struct db *db, const char *actor, const char *action, const char *object,
                 const char *detail_json, struct sm_err *e);

/* The same, for a change asked for over HTTP: client_ip is the request's client address
 * (the peer, or what a trusted proxy forwarded; issue 8), kept with the record and
 * hashed with it. NULL or "" = none (as audit_append). */
int audit_append_from(struct db *db, const char *actor, const char *client_ip, const char *action,
                      const char *object, const char *detail_json, struct sm_err *e);

/* The same as audit_append for a detail the caller built as a JSON object (NULL = {}):
 * serialized here (compact, keys sorted) and not parsed again, which is what the hot
 * paths (issuance: two records per certificate) need. A detail that is not an object is
 * -SM_E_INVALID. The caller keeps detail. */
int audit_append_json(struct db *db, const char *actor, const char *action, const char *object,
                      const json_t *detail, struct sm_err *e);

/* audit_append_json in two steps, so that the serialization can run where no connection
 * is (issuance: in the signing threads). audit_detail_text: the stored text of a detail
 * object (compact, keys sorted), malloc'd, or NULL with e set (not an object:
 * -SM_E_INVALID; too large; no memory). audit_append_text appends a text made by
 * audit_detail_text (it is not parsed again: a text that is not "{...}", NULL, or too
 * large is refused, -SM_E_INVALID / -SM_E_TOO_LARGE), as audit_append. */
char *audit_detail_text(const json_t *detail, struct sm_err *e);
int audit_append_text(struct db *db, const char *actor, const char *action, const char *object,
                      const char *text, struct sm_err *e);

/* Walks the whole chain. Returns 0 when intact; -SM_E_CONFLICT when broken, with
 * *bad_seq = the first bad record and why = the reason (changed record, missing record
 * = sequence gap, wrong prev_hash = deleted or reordered, truncated tail); other
 * negatives are database errors. bad_seq and why may be NULL. */
int audit_verify(struct db *db, int64_t *bad_seq, char *why, size_t n, struct sm_err *e);
/* The same, also reporting the number of records checked (when intact) in *records. */
int audit_verify_count(struct db *db, int64_t *records, int64_t *bad_seq, char *why, size_t n,
                       struct sm_err *e);

#endif
