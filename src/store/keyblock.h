/* SPDX-License-Identifier: MIT */
/* The compromised-key blocklist (BR 6.1.1.3; migration 0009): public keys that must never
 * be certified, keyed by the SHA-256 of their DER SubjectPublicKeyInfo (64 lower-case hex).
 * Filled by revocation for keyCompromise and by reports of compromised keys; read by the
 * CSR check through ra/ (pki/ never reads the database). All SQL of the table is here. */
#ifndef SM_KEYBLOCK_H
#define SM_KEYBLOCK_H
#include "core/err.h"

struct db;

/* *found = 1 when spki_sha256_hex is listed, 0 when not. 0, or negative (database). */
int keyblock_has(struct db *db, const char *spki_sha256_hex, int *found, struct sm_err *e);
/* Lists a key (an existing entry is kept as it is). reason and source are free text
 * (source: "revocation:SERIAL", "report:ID", "cli"). -SM_E_INVALID unless the hash is
 * 64 lower-case hex digits. The caller owns the transaction and the audit record. */
int keyblock_add(struct db *db, const char *spki_sha256_hex, const char *reason, const char *source,
                 struct sm_err *e);

#endif
