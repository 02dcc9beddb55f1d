/*
 * setup_int.h - the BigCommerce <-> Brightpearl flow group (setup.c), for
 * the flow registry.
 */
#ifndef PEARLSYNC_FLOWS_BC_SETUP_INT_H
#define PEARLSYNC_FLOWS_BC_SETUP_INT_H

#include "pearlsync/setup.h"

extern const ps_flow_group ps_flow_group_bigcommerce;

#endif
