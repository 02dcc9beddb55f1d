/*
 * pair_int.h - what every flow of the BigCommerce <-> Brightpearl pair
 * shares: its two connectors, typed, out of the flow environment.
 */
#ifndef PEARLSYNC_FLOWS_BC_PAIR_INT_H
#define PEARLSYNC_FLOWS_BC_PAIR_INT_H

#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/flow.h"

/* The Brightpearl and BigCommerce connectors (NULL: not configured). */
#define PS_PAIR_BP(env) ((ps_bp *)(env)->conn[PS_PLATFORM_BRIGHTPEARL])
#define PS_PAIR_BC(env) ((ps_bc *)(env)->conn[PS_PLATFORM_BIGCOMMERCE])

#endif
