/* libFuzzer target for the `--allow` and `--dns-upstream` entry parsers (make fuzz): entries
 * come from the command line and from a repository's profile (network.allow). Each input is
 * checked as an entry of either kind and parsed as an address entry, a name entry and an
 * upstream. Beyond "no crash": whatever parses must format back to an entry that parses to the
 * same value (the plan, the ruleset and the audit log show the formatted text), and the
 * validator must agree with the parsers. */
#include "net.h"
#include "netspec.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Field by field: the parsers may leave padding as they like. */
static bool same_allow(const struct net_allow *a, const struct net_allow *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, 16) && a->prefix == b->prefix &&
	       a->port_lo == b->port_lo && a->port_hi == b->port_hi && a->proto == b->proto;
}

static void allow_round_trip(const char *s)
{
	struct net_allow a = {0}, b = {0};
	char buf[128];

	if (net_parse_allow(s, &a))
		return;
	net_format_allow(&a, buf, sizeof(buf));
	if (net_parse_allow(buf, &b) || !same_allow(&a, &b))
		abort();
	if (net_check_dest(s))
		abort(); /* the validator refuses what the parser took */
}

static void name_round_trip(const char *s)
{
	struct net_name a = {0}, b = {0};
	char buf[512];

	if (net_parse_name(s, &a))
		return;
	net_format_name(&a, buf, sizeof(buf));
	if (net_parse_name(buf, &b) || strcmp(a.pattern, b.pattern) != 0 ||
	    a.port_lo != b.port_lo || a.port_hi != b.port_hi || a.proto != b.proto)
		abort();
}

static void upstream_round_trip(const char *s)
{
	struct net_upstream a = {0}, b = {0};
	char buf[128];

	if (net_parse_upstream(s, &a))
		return;
	net_format_upstream(&a, buf, sizeof(buf));
	if (net_parse_upstream(buf, &b) || a.family != b.family || a.port != b.port ||
	    memcmp(a.addr, b.addr, 16) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	(void)net_check_dest(s);
	(void)net_spec_is_name(s);
	allow_round_trip(s);
	name_round_trip(s);
	upstream_round_trip(s);
	free(s);
	return 0;
}
