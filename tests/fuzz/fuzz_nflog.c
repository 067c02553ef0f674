/* libFuzzer target for the NFLOG flow-record parser (make fuzz): in audit mode the launcher
 * reads what the sandbox's ruleset logs, packets the job chose, wrapped in netlink messages.
 * Each input is one receive buffer, parsed twice into the same table (as two reads would be).
 * Beyond "no crash": the table never grows past its bound, every fresh index points into it,
 * and each flow formats to text. */
#include "net.h"
#include "netspec.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct net_plan deny_plan(void)
{
	static struct net_allow deny[2];
	struct net_plan n = {.mode = NET_AUDIT, .deny = deny, .n_deny = 2};

	if (net_parse_allow("169.254.0.0/16", &deny[0]) || net_parse_allow("fc00::/7", &deny[1]))
		abort();
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct plan p;
	static struct net_flows f;
	uint32_t *buf = malloc(size + 4); /* netlink messages are 4-byte aligned */
	size_t fresh[NET_MAX_FLOWS], n;
	char text[96];

	if (!p.net.deny)
		p.net = deny_plan();
	memset(&f, 0, sizeof(f));
	memcpy(buf, data, size);
	for (int round = 0; round < 2; round++) {
		n = net_flows_parse(&p, buf, size, &f, fresh, 7);
		if (n > 7 || f.n > NET_MAX_FLOWS)
			abort();
		for (size_t i = 0; i < n; i++)
			if (fresh[i] >= f.n)
				abort();
	}
	for (size_t i = 0; i < f.n; i++)
		net_flow_format(&f.v[i], text, sizeof(text));
	free(buf);
	return 0;
}
