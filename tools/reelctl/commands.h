/*
 * Every reelctl command: the table (commands.c) and the handlers, one file
 * per kind of object.  A handler gets the parsed line and returns the exit
 * status (ctl.h); it prints its result on stdout (the API's JSON with
 * --json) and its one error line on stderr.
 */
#ifndef REEL_CTL_COMMANDS_H
#define REEL_CTL_COMMANDS_H

#include <stddef.h>

#include "args.h"
#include "ctl.h"

extern const struct ctl_cmd ctl_commands[];
extern const size_t ctl_ncommands;

/* cmd_user.c */
int ctl_user_list(struct ctl *c, const struct ctl_line *l);
int ctl_user_show(struct ctl *c, const struct ctl_line *l);
int ctl_user_disable(struct ctl *c, const struct ctl_line *l);
int ctl_user_enable(struct ctl *c, const struct ctl_line *l);
int ctl_token_mint(struct ctl *c, const struct ctl_line *l);

/* cmd_plan.c */
int ctl_plan_add(struct ctl *c, const struct ctl_line *l);
int ctl_plan_list(struct ctl *c, const struct ctl_line *l);
int ctl_plan_show(struct ctl *c, const struct ctl_line *l);
int ctl_plan_rm(struct ctl *c, const struct ctl_line *l);
int ctl_grant(struct ctl *c, const struct ctl_line *l);

/* cmd_title.c */
int ctl_title_list(struct ctl *c, const struct ctl_line *l);
int ctl_title_show(struct ctl *c, const struct ctl_line *l);
int ctl_title_rm(struct ctl *c, const struct ctl_line *l);
int ctl_title_register(struct ctl *c, const struct ctl_line *l);
int ctl_key_add(struct ctl *c, const struct ctl_line *l);
int ctl_key_list(struct ctl *c, const struct ctl_line *l);
int ctl_title_add(struct ctl *c, const struct ctl_line *l);

/* cmd_job.c */
int ctl_job_list(struct ctl *c, const struct ctl_line *l);
int ctl_job_show(struct ctl *c, const struct ctl_line *l);
int ctl_job_cancel(struct ctl *c, const struct ctl_line *l);
int ctl_job_retry(struct ctl *c, const struct ctl_line *l);
int ctl_job_logs(struct ctl *c, const struct ctl_line *l);

/*
 * Follow job ID, showing its progress on stderr (the transcode, then the
 * fill), until it is done and its title complete on every edge that should
 * hold it (when the origin reports a fill): 0 with the last answer in *OUT
 * (the caller json_decrefs it), or the exit status after printing why,
 * naming WHAT (1 when the job failed or was cancelled, its package was
 * replaced before it reached the edges, or TIMEOUT seconds passed; 0: no
 * limit).  The origin may stop answering for a while (a restart) without
 * ending it.
 */
int ctl_job_wait(struct ctl *c, const char *id, const char *what, double timeout, json_t **out);

/* cmd_edge.c */
int ctl_edge_add(struct ctl *c, const struct ctl_line *l);
int ctl_edge_list(struct ctl *c, const struct ctl_line *l);
int ctl_edge_show(struct ctl *c, const struct ctl_line *l);
int ctl_edge_drain(struct ctl *c, const struct ctl_line *l);
int ctl_edge_resume(struct ctl *c, const struct ctl_line *l);
int ctl_edge_secret(struct ctl *c, const struct ctl_line *l);
int ctl_edge_rm(struct ctl *c, const struct ctl_line *l);
int ctl_steer(struct ctl *c, const struct ctl_line *l);
int ctl_fill_status(struct ctl *c, const struct ctl_line *l);

/* help.c */
int ctl_help(struct ctl *c, const struct ctl_line *l);

#endif
