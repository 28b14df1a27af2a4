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
 *   title_terms: the search index (search_index.c), keys of folded text
 *     (common/fold.h) with no JSON:
 *     "w" WORD "\0" ID  -> 1 byte: 1 the word is in the name, 2 in the description
 *     "p" NAME "\0" ID  -> empty: the whole folded name, for exact and prefix matches
 *     "l" TAG "\0" ID   -> 1 byte: 1 audio in the language (a canonical tag), 2 subtitles
 *     "v"               -> the index's format ("1"); another value or none: rebuilt at start
 */
#ifndef ORIGIN_CATALOG_TABLES_H
#define ORIGIN_CATALOG_TABLES_H

#define CATALOG_TABLES(X) X(TITLES, "titles") X(KEYS, "keys") X(TERMS, "title_terms")

#endif
