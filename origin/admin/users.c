/* Users with their subscriptions, for the admin (users.h). */
#include "admin/users.h"

#include <errno.h>
#include <stdlib.h>

#include "accounts/accounts.h"
#include "jsonfield.h"
#include "plans/plans.h"

/* U as a row of the page, with its subscription as of NOW (or null). */
static json_t *user_row(struct plans *pl, const struct accounts_user *u, int64_t now)
{
	struct subscription s;
	struct plan plan;
	bool have_plan;
	json_t *sub = plans_subscription(pl, u->id, now, &s, &plan, &have_plan) == 0
			  ? subscription_json(&s)
			  : json_null();

	return json_pack("{s:s, s:s, s:o, s:b, s:o}", "id", u->id, "email", u->email, "created",
			 jf_time(u->created), "disabled", u->disabled, "subscription",
			 sub ? sub : json_null());
}

int admin_users(struct accounts *a, struct plans *pl, size_t offset, size_t limit, int64_t now,
		json_t **out)
{
	struct accounts_user *users;
	size_t n, total;
	json_t *arr;
	int rc = accounts_list(a, offset, limit, &users, &n, &total);

	*out = NULL;
	if (rc != 0)
		return rc;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, user_row(pl, &users[i], now));
	free(users);
	if (arr)
		*out = json_pack("{s:o, s:I}", "users", arr, "total", (json_int_t)total);
	return *out ? 0 : -ENOMEM;
}

json_t *admin_user(struct plans *pl, const struct accounts_user *u, int64_t now)
{
	return user_row(pl, u, now);
}
