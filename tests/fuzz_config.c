/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the config parser: any text must give a config or errors, never a
 * crash, a leak or undefined behaviour. Includes the file under test, as wireguard-tools
 * fuzzers do. */
#include "../agent/config-values.c"
#include "../agent/config.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfg_errors errs;
	struct cfg *cfg = NULL;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cfg_parse_string("fuzz.conf", text, &cfg, &errs) == 0)
		cfg_free(cfg);
	free(text);
	return 0;
}
