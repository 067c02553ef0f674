/* Unit tests: the seccomp programs compiled at build time (build/seccomp_builtin.c) are the ones
 * libseccomp compiles now from the same lists, so a list edited without a rebuild, or a
 * generator that drifted, cannot load a filter other than the one the source says. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "guard.h"
#include "netwatch.h"
#include "seccomp.h"

static const struct cis_seccomp_builtin *list_builtin(const struct cis_seccomp_lists *l)
{
	uint64_t h = cis_seccomp_lists_hash(l);

	for (size_t i = 0; i < cis_seccomp_n_list_builtins; i++)
		if (cis_seccomp_list_builtins[i].hash == h)
			return &cis_seccomp_list_builtins[i];
	return NULL;
}

static void assert_same(const struct cis_seccomp_builtin *b, const struct sock_fprog *now)
{
	cr_assert_eq(b->len, now->len);
	cr_assert_eq(memcmp(b->filter, now->filter, now->len * sizeof(struct sock_filter)), 0);
}

/* The launcher's own filter and the resolver's child's are both built in. */
Test(seccomp_builtin, own_filters_match_their_lists)
{
	const struct cis_seccomp_lists *lists[] = {&guard_lists, &netwatch_lists};

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		const struct cis_seccomp_builtin *b = list_builtin(lists[i]);
		struct sock_fprog now;

		cr_assert_not_null(b, "list %zu is not built in", i);
		cr_assert_eq(cis_seccomp_lists_compile(lists[i], &now), 0);
		assert_same(b, &now);
		free(now.filter);
	}
}

/* Lists that differ in one name, or in where a name stands, hash apart. */
Test(seccomp_builtin, list_hash_separates_lists)
{
	static const char *const ab[] = {"read", "write"}, *const a[] = {"read"},
	                         *const b[] = {"write"};
	struct cis_seccomp_lists x = {0, ab, 2, NULL, 0}, y = {0, a, 1, b, 1},
	                         z = {1, ab, 2, NULL, 0};

	cr_assert_neq(cis_seccomp_lists_hash(&x), cis_seccomp_lists_hash(&y));
	cr_assert_neq(cis_seccomp_lists_hash(&x), cis_seccomp_lists_hash(&z));
	cr_assert_null(list_builtin(&x));
}

/* The default policy (@container, EPERM, log_denied) is built in and is what libseccomp
 * compiles now. */
Test(seccomp_builtin, default_policy_matches)
{
	struct cis_seccomp s = {.err = EPERM, .log_denied = true};
	struct strv allow = {0}, deny = {0};
	struct cis_err err = {{0}};
	struct sock_fprog now;
	const struct cis_seccomp_builtin *b = NULL;

	strv_push(&allow, "@container");
	cr_assert_eq(cis_seccomp_resolve(&s, &allow, &deny, "seccomp.allow", &err), 0, "%s",
	             err.msg);
	for (size_t i = 0; i < cis_seccomp_n_builtins; i++)
		if (cis_seccomp_builtins[i].hash == cis_seccomp_hash(&s))
			b = &cis_seccomp_builtins[i];
	cr_assert_not_null(b);
	cr_assert_eq(cis_seccomp_compile_now(&s, &now), 0);
	assert_same(b, &now);
	free(now.filter);
	cis_seccomp_free(&s);
	strv_free(&allow);
}

/* The default allow list resolved at build time is the one the general path resolves now
 * ("@container" twice takes the general path: expand, sort, unique). */
Test(seccomp_builtin, default_list_matches_resolution)
{
	struct strv fast = {0}, slow = {0}, deny = {0};
	struct cis_seccomp a = {0}, b = {0};
	struct cis_err err = {{0}};

	strv_push(&fast, "@container");
	strv_push(&slow, "@container");
	strv_push(&slow, "@container");
	cr_assert(cis_seccomp_n_container_sorted > 100);
	cr_assert_eq(cis_seccomp_resolve(&a, &fast, &deny, "seccomp.allow", &err), 0);
	cr_assert_eq(cis_seccomp_resolve(&b, &slow, &deny, "seccomp.allow", &err), 0);
	cr_assert_eq(a.allow.n, b.allow.n);
	for (size_t i = 0; i < a.allow.n; i++)
		cr_assert_str_eq(a.allow.v[i], b.allow.v[i], "entry %zu", i);
	cr_assert_null(a.allow.v[a.allow.n]);
	cis_seccomp_free(&a);
	cis_seccomp_free(&b);
	strv_free(&fast);
	strv_free(&slow);
}
