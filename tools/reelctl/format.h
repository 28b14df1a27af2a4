/*
 * Text for people: sizes, durations and rates as reelctl prints them, and
 * strings from the origin made safe for a terminal.  Each writes a
 * NUL-terminated string into BUF (truncated to LEN) and returns BUF.
 */
#ifndef REEL_CTL_FORMAT_H
#define REEL_CTL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* "0 B", "999 B", "1.00 KiB", "12.3 MiB", "512 MiB" (powers of 1024, three digits). */
const char *ctl_fmt_size(uint64_t bytes, char *buf, size_t len);

/* "0:04", "12:34", "1:02:03" (seconds, rounded down); "--:--" when negative or not finite. */
const char *ctl_fmt_duration(double seconds, char *buf, size_t len);

/*
 * S with every control character (C0, DEL and C1, which terminals act on)
 * and every byte of broken UTF-8 shown as '?', so a name from the origin
 * cannot move the cursor or retitle the terminal.  NULL is shown as "-".
 */
const char *ctl_clean(const char *s, char *buf, size_t len);

/* The width of the UTF-8 string S in a terminal, counting one column per code point. */
size_t ctl_width(const char *s);

#endif
