/* SPDX-License-Identifier: MIT */
/* JSON helpers: knet_json_wipe_delete zeroes every string before free. */
#include <stdlib.h>
#include <string.h>

#include "knet/api.h"
#include "unit.h"

/* The strings of the tree, recorded before the delete. */
static struct {
	void *p;
	size_t len;
	bool freed, zero;
} seen[16];
static int nseen;

static void check_free(void *p)
{
	for (int i = 0; i < nseen; i++) {
		if (seen[i].p != p)
			continue;
		seen[i].freed = true;
		seen[i].zero = true;
		for (size_t k = 0; k < seen[i].len; k++)
			if (((unsigned char *)p)[k])
				seen[i].zero = false;
	}
	free(p);
}

static void record(const char *s)
{
	seen[nseen].p = (void *)s;
	seen[nseen].len = strlen(s);
	nseen++;
}

int main(void)
{
	cJSON_Hooks hooks = {.malloc_fn = malloc, .free_fn = check_free};
	const char *doc = "{\"users\":[{\"name\":\"u\",\"user\":"
			  "{\"token\":\"s3cret-token\"}}],\"x\":\"key-data\"}";
	cJSON *j;

	cJSON_InitHooks(&hooks);
	j = cJSON_Parse(doc);
	CHECK(j != NULL);
	record(knet_json_str(
		knet_json_get(cJSON_GetArrayItem(knet_json_get(j, "users"), 0),
			      "user"),
		"token"));
	record(knet_json_str(j, "x"));
	record(cJSON_GetArrayItem(knet_json_get(j, "users"), 0)->child->string);
	knet_json_wipe_delete(j);
	for (int i = 0; i < nseen; i++) {
		CHECK(seen[i].freed);
		CHECK(seen[i].zero);
	}
	knet_json_wipe_delete(NULL);
	cJSON_InitHooks(NULL);
	return unit_done("test-json");
}
