/*
 * bc_stub.c - placeholder BigCommerce registration.
 *
 * The BigCommerce simulator (bc_*.c) defines sb_bc_register() itself and
 * deletes this file.  Until then no /bigcommerce prefix is served and no
 * "bigcommerce" ready line is printed.
 */
#include "sandbox.h"

void
sb_bc_register(sb_sandbox *sb)
{
	(void)sb;
}
