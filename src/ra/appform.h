/* SPDX-License-Identifier: MIT */
/* The application form (R-APP-3..6, R-CSR-2): checks every field of a new, renewal or
 * reissue application against the chosen product and reports EVERY problem as
 * {field, message key} (texts in web/i18n/ja-order.json and en-order.json, or for keys
 * starting "csr." / "name." the CSR problem table: pki/csr.h csr_problem_find). On success
 * it yields the normalized data an order stores: the name list (CN first, double address
 * added), the applicant / contact / billing JSON, the 12-digit registration number and
 * the CSR-vs-application comparison. No SQL, no HTTP; reads no clock (now is passed). */
#ifndef SM_APPFORM_H
#define SM_APPFORM_H
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "pki/csr.h"
#include "store/products.h"

struct csr_info;

/* A person with an address: procedure contact (手続き担当者) and billing (請求先). */
struct appform_person {
    const char *org, *dept;       /* org required for OV/EV contacts and billing */
    const char *name, *name_kana; /* kanji name; kana in hiragana/katakana */
    const char *postal, *pref, *city, *street, *building;
    const char *phone, *email;
};

/* The applicant organization (申請法人), OV/EV only (ignored for DV). */
struct appform_org {
    const char *name_ja;     /* registered name including the legal-entity type */
    const char *name_en;     /* official English name: the certificate's O */
    const char *building;    /* <= 40 characters, or "なし" */
    const char *reg_no;      /* 会社法人等番号 (12) or 法人番号 (13, converted) */
    const char *rep_name;    /* representative */
    const char *entity_type; /* one of field_entity_types() */
    const char *tdb_code;    /* Teikoku Databank company code, 9 digits, optional */
    const char *category;    /* private | government | other; private needs reg_no */
    const char *postal, *pref, *city, *street, *phone; /* registered address, main phone */
    const char *country;                               /* country of registration, NULL/"" = "JP" */
    const char *birth_date;                            /* sole proprietors: YYYY-MM-DD */
    const char *registered; /* sole proprietors: "1" = business registered (開業届) */
};

/* The applicant responsible person (申請責任者) who takes the verification call. */
struct appform_resp {
    const char *name, *name_kana, *dept, *title, *phone;
};

/* Everything the wizard or the API submits. NULL and "" both mean "not given". */
struct appform_in {
    const char *kind;        /* new | renewal | reissue */
    const char *csr;         /* PEM or DER as pasted */
    size_t csr_len;          /* 0 = strlen(csr) */
    const char *cn;          /* "" = the CSR's CN */
    const char *const *sans; /* extra names (multi-domain products) */
    size_t nsans;
    int double_address;                 /* apex CN: also add www.<cn> (R-APP-3) */
    const char *root;                   /* a | b; "" = the product's first root option */
    const char *dcv_method;             /* dns | http | email:LOCAL[@ADN] (LOCAL one of
                                           admin|administrator|webmaster|hostmaster|
                                           postmaster; ADN one of the CN's) ; "" = dns */
    const char *subject_l, *subject_st; /* English locality and prefecture (OV/EV) */
    const char *notify_email[3];
    const char *po_number, *remarks, *server_software;
    const char *ev_name_lang; /* EV: ja | en */
    struct appform_person contact;
    int billing_same; /* 1: billing = contact */
    struct appform_person billing;
    struct appform_org org;
    struct appform_resp resp;
    const char *expected_cn; /* renewal/reissue: the predecessor's CN (R-CSR-2) */
    /* the compromised-key blocklist (BR 6.1.1.3, issue 8 item 23): ra_keyblock_lookup
     * with the request's database; a listed key is the error csr.key.compromised of field
     * "csr". NULL: not consulted here (issuance consults it again in any case). */
    csr_blocklist_fn key_blocklist;
    void *key_blocklist_arg;
};

struct appform_error {
    char field[40];   /* "contact.postal", "org.reg_no", "sans[2]", "csr" ... */
    const char *key;  /* message key (static) */
    char detail[128]; /* the offending value or problem detail, may be "" */
};

/* The outcome. Everything is owned by the result; appform_result_free releases it. */
struct appform_result {
    struct appform_error *errors;
    size_t nerrors;
    int ineligible; /* 1 if an error is an ineligibility (key "order.inelig.*") */
    char *cn;       /* normalized CN */
    char **names;   /* CN first, then the double-address name, then SANs */
    size_t nnames;
    int user_names; /* names counted against the product (auto www/apex free) */
    int extra_sans; /* names past the product's sans_included (billed) */
    char root[2];
    char dcv_method[300];
    char reg_no[13];      /* "" for DV and when not given */
    char *names_json;     /* JSON array of names */
    char *applicant_json; /* {"subject":{..},"org":{..},"responsible":{..},..} */
    char *contact_json, *billing_json;
    struct csr_info *csr;  /* NULL when no CSR was given */
    char *csr_pem;         /* the CSR re-encoded as PEM (pasted PEM or DER), NULL without */
    char *notify_email[3]; /* as given (checked), NULL when absent */
    char *po_number, *remarks, *server_software; /* as given, NULL when absent */
    json_t *compare; /* R-CSR-2 comparison (see appform_check), NULL w/o CSR */
};

/* Checks in against product p at time now (Tokyo dates for ages; e-mail DCV sunset).
 * Returns 0 whenever the input could be examined, with r->nerrors > 0 when it is
 * refused; <0 only on internal failure (memory). The caller frees r with
 * appform_result_free in both cases. r->compare is
 *   {"csr":{"cn","o","ou","l","st","c","sans":[..]},
 *    "application":{"cn","o","l","st","c","names":[..]},"cn_matches":true|false}
 * (absent strings null; OU is shown but never used). */
int appform_check(const struct appform_in *in, const struct product_row *p, time_t now,
                  struct appform_result *r, struct sm_err *e);
void appform_result_free(struct appform_result *r);

/* R-APP-5: if cn is "www.<d>" with <d> a registrable domain (public suffix + one label),
 * copies <d> into apex (>= 256 bytes) and returns 1; else 0. */
int appform_www_apex(const char *cn, char *apex);
/* 1 if name is a registrable domain (exactly one label under its public suffix). */
int appform_registrable(const char *name);

/* 1 if the field has an error with key (or any key when key is NULL). For tests and
 * handlers that place messages beside fields. */
int appform_has_error(const struct appform_result *r, const char *field, const char *key);

#endif
