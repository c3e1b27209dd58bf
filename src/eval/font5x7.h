/* font5x7.h — the built-in bitmap font for text in PNG pictures. */
#ifndef BYOLCL_EVAL_FONT5X7_H
#define BYOLCL_EVAL_FONT5X7_H

enum { FONT_GLYPH_W = 5, FONT_GLYPH_H = 7, FONT_ADVANCE = 6 };

/* 7 rows of 5 bits (bit 4 = leftmost); unknown characters are blank. */
const unsigned char *font5x7_glyph(char c);

#endif
