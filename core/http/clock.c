/*
 * clock.c - the real clock and random source the http module uses when
 * the caller injects none.
 *
 * Tests pass their own ps_clock and ps_random; these are for production.
 * None keeps state: the system clock reads CLOCK_MONOTONIC, the wall clock
 * (for callers that stamp unix-ms times, like the worker) reads
 * CLOCK_REALTIME, both sleep with nanosleep, and the random source reads
 * the kernel's pool (jitter needs spread, not secrecy, so a
 * failed read falls back to mixing the time).
 */
#include "http_int.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

static int64_t
read_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
system_now_ms(void *ctx)
{
	(void)ctx;
	return read_ms(CLOCK_MONOTONIC);
}

static int64_t
wall_now_ms(void *ctx)
{
	(void)ctx;
	return read_ms(CLOCK_REALTIME);
}

/* May return early on a signal; callers re-check the clock. */
static void
system_sleep_ms(void *ctx, int64_t ms)
{
	struct timespec ts;

	(void)ctx;
	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* splitmix64 finaliser: spreads the bits of the time fallback */
static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
system_random(void *ctx)
{
	uint64_t v = 0;
	struct timespec ts;
	ssize_t got = -1;
	int fd;

	(void)ctx;
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		do {
			got = read(fd, &v, sizeof(v));
		} while (got < 0 && errno == EINTR);
		close(fd);
	}
	if (got == (ssize_t)sizeof(v))
		return v;
	clock_gettime(CLOCK_REALTIME, &ts);
	return mix64((uint64_t)ts.tv_sec * 1000000007ULL ^
		     (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32);
}

static const ps_clock system_clock = {system_now_ms, system_sleep_ms, NULL};
static const ps_clock wall_clock = {wall_now_ms, system_sleep_ms, NULL};
static const ps_random system_rand = {system_random, NULL};

const ps_clock *
ps_clock_system(void)
{
	return &system_clock;
}

const ps_clock *
ps_clock_wall(void)
{
	return &wall_clock;
}

const ps_random *
ps_random_system(void)
{
	return &system_rand;
}
