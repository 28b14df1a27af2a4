/*
 * The tables of catalog/ (numbered in schema.h):
 *
 *   titles: id -> {"id", "name", "version", "duration", "container", "segment_target",
 *                  "video": [{"path", "width", "height", "bandwidth", "codecs", "frame_rate"}],
 *                  "audio": [{"language", "name", "channels", "group"}], "audio_languages",
 *                  "subtitle_languages", "skipped_streams": [{"stream", "type", "codec",
 *                  "language", "title", "reason", "message"}], "encrypted", "total_size",
 *                  "registered"}
 *   keys:   title id -> {"current": KID, "keys": {KID: base64url(sealed key), ...},
 *                        "added": {KID: unix seconds, ...}} ("added" absent in older records)
 */
#ifndef ORIGIN_CATALOG_TABLES_H
#define ORIGIN_CATALOG_TABLES_H

#define CATALOG_TABLES(X) X(TITLES, "titles") X(KEYS, "keys")

#endif
