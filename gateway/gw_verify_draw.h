/* gw_verify_draw.h: `livegw verify-draw`: recompute a lucky-bag draw and check it.
 *
 *   livegw verify-draw --bag BAG --commit HEX --seed HEX --winners N
 *                      --participants FILE|- [--announced U1,U2,... | --announced-file FILE]
 *
 * Recomputes the draw of proto/DRAW.md from the published seed and participant list
 * (one uid per line; blank lines skipped; surrounding spaces, tabs and a CR ignored;
 * repeats removed), prints it, and compares: the seed against the commitment, and the
 * announced winners (if given, in draw order) against the recomputed ones. The output
 * is line for line the same as proto/tools/verify_draw.py's. */
#ifndef GW_VERIFY_DRAW_H
#define GW_VERIFY_DRAW_H

/* Runs the command; argv[0] is "verify-draw", argv[1..argc) its options. Prints the
 * result to stdout and problems with the arguments or input to stderr. Returns the
 * exit status: 0 when the seed matches the commitment and the announced winners (if
 * any) are the draw's; 1 when either does not hold; 2 for bad arguments or input. */
int gw_verify_draw_main(int argc, char **argv);

#endif
