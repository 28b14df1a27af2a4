/*
 * The tables of jobs/ (numbered in schema.h):
 *
 *   jobs:    job id -> {"id", "seq" (the queue's order), "title", "name",
 *                       "source": {"upload", "name"} | {"path"}, "ladder", "format",
 *                       "encrypt", "urgent", "state", "created", "started", "ended",
 *                       "attempts" (runs started), "interrupted" (runs cut by an origin
 *                       crash), "error", "progress", "logs": [stderr lines],
 *                       "result": {the registered title's summary}, "fill": null
 *                       (stored null; shown as the fill of the title once done)}
 *   uploads: upload id -> {"id", "name", "size", "sha256", "complete", "created"}
 *            (the bytes are the file <upload_dir>/<id>; its size is the offset)
 */
#ifndef ORIGIN_JOBS_TABLES_H
#define ORIGIN_JOBS_TABLES_H

#define JOBS_TABLES(X) X(JOBS, "jobs") X(UPLOADS, "uploads")

#endif
