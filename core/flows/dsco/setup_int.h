/*
 * setup_int.h - the DSCO <-> Brightpearl flow group (setup.c), for the
 * flow registry.
 */
#ifndef PEARLSYNC_FLOWS_DSCO_SETUP_INT_H
#define PEARLSYNC_FLOWS_DSCO_SETUP_INT_H

#include "pearlsync/setup.h"

extern const ps_flow_group ps_flow_group_dsco;

#endif
