/* names.h - group names: Docker's rule ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at
 * most 63 characters, the same as the protocol's names), generated names
 * for groups created without --name ("brave_otter"), and the guest
 * hostname derived from a group name. */
#ifndef LIGHTER_TOOLS_NAMES_H
#define LIGHTER_TOOLS_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lighter/error.h>

#define GROUP_NAME_MAX 63

/* True for 1..63 of [a-zA-Z0-9_.-] starting with a letter or digit. */
bool group_name_valid(const char *s);

/* 0, or -EINVAL with e saying what is wrong with s
 * ('group name "-x": must start with a letter or digit'). */
int group_name_check(const char *s, struct lerr *e);

/* "adjective_noun" from the lists in names.c, picked by seed: valid for
 * group_name_valid() and at most GROUP_NAME_MAX characters.  out must
 * hold GROUP_NAME_MAX + 1 bytes. */
void group_name_generate(uint64_t seed, char *out);

/* A random seed for group_name_generate() (getrandom(2), falling back
 * to the clocks and the pid). */
uint64_t group_name_seed(void);

/* The guest hostname for a group: '_' and any other character a label
 * may not hold become '-', labels lose leading and trailing '-', empty
 * labels are dropped; "lighter" when nothing is left.  out must hold
 * GROUP_NAME_MAX + 1 bytes; the result passes proto_hostname_valid(). */
void group_hostname(const char *name, char *out);

#endif
