/*
 * version.h - the pearlsync version, as a string and as numbers.
 */
#ifndef PEARLSYNC_VERSION_H
#define PEARLSYNC_VERSION_H

#define PS_VERSION_MAJOR 0
#define PS_VERSION_MINOR 1
#define PS_VERSION_PATCH 0
#define PS_VERSION "0.1.0"

/* The User-Agent every HTTP request carries. */
#define PS_USER_AGENT "pearlsync/" PS_VERSION

#endif
