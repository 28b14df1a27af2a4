/*
 * The table of downloads/ (numbered in schema.h):
 *
 *   licenses: USER "/" LID -> {"lid", "title", "device", "device_key": B64, "ckid",
 *                              "first_issued", "issued", "expires", "renewal",
 *                              "released": bool}
 *
 * Released and expired licenses stay, so the per-title yearly count sees
 * every download of the last 365 days.
 */
#ifndef ORIGIN_DOWNLOADS_TABLES_H
#define ORIGIN_DOWNLOADS_TABLES_H

#define DOWNLOADS_TABLES(X) X(LICENSES, "licenses")

#endif
