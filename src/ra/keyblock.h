/* SPDX-License-Identifier: MIT */
/* The compromised-key blocklist as the CSR check's hook (pki/csr csr_blocklist_fn):
 * pki/ never reads the database, so ra/ hands it this lookup over store/keyblock. */
#ifndef SM_RA_KEYBLOCK_H
#define SM_RA_KEYBLOCK_H

/* csr_blocklist_fn with arg = the struct db * to read: 1 listed, 0 not, <0 failure (the
 * CSR check then reports csr.key.blocklist_unavailable and the CSR is not acceptable). */
int ra_keyblock_lookup(void *db, const unsigned char spki_sha256[32], const char *spki_hex);

#endif
