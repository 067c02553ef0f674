/* libFuzzer target for the DNS message parser (make fuzz). Each input is tried as a query, then
 * as the answer to the question it carries (so that answers echoing their question reach the
 * record parser), then as an operator's allow pattern. The seeds in corpus/dns are real
 * messages: queries, CNAME chains, compressed and truncated answers. */
#include "dnsmsg.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_answer ans;
	struct dns_question q;
	uint8_t out[512];
	const char *why;
	char *text, norm[256];

	if (dnsmsg_parse_query(data, size, &q, &why) == 0) {
		(void)dnsmsg_reply(data, size, q.end, DNS_R_NXDOMAIN, out, sizeof(out));
		(void)dnsmsg_name_match("*.allowed.test", q.name);
	} else {
		/* A response's question: take it as if we had asked it. */
		memset(&q, 0, sizeof(q));
		if (size >= DNS_HDR) {
			uint8_t *copy = malloc(size);

			memcpy(copy, data, size);
			copy[2] &= 0x7f; /* read the question as a query would be */
			copy[6] = copy[7] = copy[8] = copy[9] = copy[10] = copy[11] = 0;
			if (dnsmsg_parse_query(copy, size, &q, &why) != 0)
				memset(&q, 0, sizeof(q));
			free(copy);
		}
	}
	if (size >= 2)
		(void)dnsmsg_parse_response(data, size, dnsmsg_id(data), &q, &ans, &why);
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	(void)dnsmsg_name_normalize(text, norm, sizeof(norm));
	free(text);
	return 0;
}
