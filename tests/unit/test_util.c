/* Unit tests: pure parsing helpers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "util.h"

Test(util, parse_memory)
{
	uint64_t b = 7;
	unsigned pct = 7;

	cr_assert_eq(parse_memory("50%", &b, &pct), 0);
	cr_assert(b == 0 && pct == 50);
	cr_assert_eq(parse_memory("2G", &b, &pct), 0);
	cr_assert(b == 2ull << 30 && pct == 0);
	cr_assert_eq(parse_memory("100%", &b, &pct), 0);
	cr_assert_eq(pct, 100);
	b = 7, pct = 7;
	cr_assert_lt(parse_memory("0%", &b, &pct), 0);
	cr_assert_lt(parse_memory("101%", &b, &pct), 0);
	cr_assert_lt(parse_memory("%", &b, &pct), 0);
	cr_assert_lt(parse_memory("5%%", &b, &pct), 0);
	cr_assert_lt(parse_memory("-5%", &b, &pct), 0);
	cr_assert(b == 7 && pct == 7, "outputs untouched on error");
}

Test(util, parse_size)
{
	uint64_t v;

	cr_assert_eq(parse_size("512M", &v), 0);
	cr_assert_eq(v, 512ull << 20);
	cr_assert_eq(parse_size("4G", &v), 0);
	cr_assert_eq(v, 4ull << 30);
	cr_assert_eq(parse_size("4gib", &v), 0);
	cr_assert_eq(v, 4ull << 30);
	cr_assert_eq(parse_size("65536", &v), 0);
	cr_assert_eq(v, 65536);
	cr_assert_eq(parse_size("0", &v), -EINVAL);
	cr_assert_eq(parse_size("", &v), -EINVAL);
	cr_assert_eq(parse_size("-1M", &v), -EINVAL);
	cr_assert_eq(parse_size("1X", &v), -EINVAL);
	cr_assert_eq(parse_size(" 1M", &v), -EINVAL);
	cr_assert_eq(parse_size("99999999999999999999", &v), -ERANGE);
	cr_assert_eq(parse_size("17179869184G", &v), -ERANGE);
}

Test(util, parse_duration)
{
	uint64_t v;

	cr_assert_eq(parse_duration("90s", &v), 0);
	cr_assert_eq(v, 90000);
	cr_assert_eq(parse_duration("30m", &v), 0);
	cr_assert_eq(v, 1800000);
	cr_assert_eq(parse_duration("2h", &v), 0);
	cr_assert_eq(v, 7200000);
	cr_assert_eq(parse_duration("500ms", &v), 0);
	cr_assert_eq(v, 500);
	cr_assert_eq(parse_duration("10", &v), 0);
	cr_assert_eq(v, 10000);
	cr_assert_eq(parse_duration("0", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(parse_duration("1d", &v), -EINVAL);
	cr_assert_eq(parse_duration("s", &v), -EINVAL);
	cr_assert_eq(parse_duration("1.5s", &v), -EINVAL);
	cr_assert_eq(parse_duration("18446744073709551615h", &v), -ERANGE);
}

Test(util, format_roundtrip)
{
	char buf[32];
	uint64_t v;

	cr_assert_str_eq(format_size(1ull << 30, buf), "1G");
	cr_assert_str_eq(format_size(1536ull << 20, buf), "1536M");
	cr_assert_str_eq(format_size(1000, buf), "1000");
	cr_assert_str_eq(format_duration(7200000, buf), "2h");
	cr_assert_str_eq(format_duration(90000, buf), "90s");
	cr_assert_str_eq(format_duration(1500, buf), "1500ms");
	cr_assert_str_eq(format_duration(0, buf), "0s");
	cr_assert_eq(parse_size(format_size(3ull << 40, buf), &v), 0);
	cr_assert_eq(v, 3ull << 40);
}

Test(util, clean_paths)
{
	cr_assert(path_is_clean_absolute("/"));
	cr_assert(path_is_clean_absolute("/usr/lib"));
	cr_assert(path_is_clean_absolute("/a/.b/c.."));
	cr_assert_not(path_is_clean_absolute("usr"));
	cr_assert_not(path_is_clean_absolute(""));
	cr_assert_not(path_is_clean_absolute("/usr/"));
	cr_assert_not(path_is_clean_absolute("/usr//lib"));
	cr_assert_not(path_is_clean_absolute("/usr/./lib"));
	cr_assert_not(path_is_clean_absolute("/usr/../etc"));
	cr_assert_not(path_is_clean_absolute("/.."));
	cr_assert(path_has_prefix("/usr/lib", "/usr"));
	cr_assert(path_has_prefix("/usr", "/usr"));
	cr_assert(path_has_prefix("/anything", "/"));
	cr_assert_not(path_has_prefix("/usrx", "/usr"));
}

Test(util, bind_spec)
{
	char *s = NULL, *d = NULL;

	cr_assert_null(parse_bind_spec("/a", &s, &d));
	cr_assert_str_eq(s, "/a");
	cr_assert_str_eq(d, "/a");
	free(s);
	free(d);
	cr_assert_null(parse_bind_spec("/a/b:/c", &s, &d));
	cr_assert_str_eq(s, "/a/b");
	cr_assert_str_eq(d, "/c");
	free(s);
	free(d);
	cr_assert_not_null(parse_bind_spec("a:/c", &s, &d));
	cr_assert_not_null(parse_bind_spec("/a:c", &s, &d));
	cr_assert_not_null(parse_bind_spec("/a:/", &s, &d));
	cr_assert_not_null(parse_bind_spec("/a:/x/../etc", &s, &d));
}

Test(util, env_names)
{
	cr_assert(env_name_valid("PATH", false));
	cr_assert(env_name_valid("_x1", false));
	cr_assert_not(env_name_valid("1X", false));
	cr_assert_not(env_name_valid("A-B", false));
	cr_assert_not(env_name_valid("", false));
	cr_assert_not(env_name_valid("GITHUB_*", false));
	cr_assert(env_name_valid("GITHUB_*", true));
	cr_assert(env_name_valid("*", true)); /* every variable but tokens */
	cr_assert_not(env_name_valid("*", false));
	cr_assert_not(env_name_valid("A*B", true));
}

Test(util, strv)
{
	struct strv v = {0};

	strv_push(&v, "a");
	strv_push_take(&v, xstrdup("b"));
	cr_assert_eq(v.n, 2);
	cr_assert_null(v.v[2]);
	cr_assert(strv_contains(&v, "b"));
	cr_assert_not(strv_contains(&v, "c"));
	strv_free(&v);
	cr_assert_eq(v.n, 0);
}

Test(util, parse_cpus_and_counts)
{
	uint64_t v;

	cr_assert_eq(parse_cpus("2", &v), 0);
	cr_assert_eq(v, 2000);
	cr_assert_eq(parse_cpus("1.5", &v), 0);
	cr_assert_eq(v, 1500);
	cr_assert_eq(parse_cpus("0.25", &v), 0);
	cr_assert_eq(v, 250);
	cr_assert_eq(parse_cpus("0.001", &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_neq(parse_cpus("0", &v), 0);
	cr_assert_neq(parse_cpus("1.", &v), 0);
	cr_assert_neq(parse_cpus("1.0001", &v), 0);
	cr_assert_neq(parse_cpus("-1", &v), 0);
	cr_assert_neq(parse_cpus("two", &v), 0);
	cr_assert_eq(parse_count("4096", &v), 0);
	cr_assert_eq(v, 4096);
	cr_assert_neq(parse_count("0", &v), 0);
	cr_assert_neq(parse_count("12k", &v), 0);
	cr_assert_neq(parse_count("", &v), 0);
}
