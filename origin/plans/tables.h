/*
 * The tables of plans/ (numbered in schema.h):
 *
 *   plans:         name -> {"name", "title", "max_streams", "max_height", "downloads",
 *                           "max_devices", "max_downloads", "downloads_per_title_year",
 *                           "period_days"}
 *   subscriptions: user id -> {"plan", "started", "period_end", "cancel_at_period_end",
 *                              "source": "user" | "grant"}
 */
#ifndef ORIGIN_PLANS_TABLES_H
#define ORIGIN_PLANS_TABLES_H

#define PLANS_TABLES(X) X(PLANS, "plans") X(SUBSCRIPTIONS, "subscriptions")

#endif
