/* gw_listen.h: a listening TCP socket one worker thread owns (SO_REUSEPORT). */
#ifndef GW_LISTEN_H
#define GW_LISTEN_H

/* Opens a non-blocking socket bound to host:port with SO_REUSEADDR and SO_REUSEPORT
 * and listening. Returns the fd, or -1 after logging the failing call and errno. */
int gw_listen_open(const char *host, int port);

#endif
