/* Clocks: monotonic time for durations and timeouts, wall time for records. */
#ifndef OG_CLOCK_H
#define OG_CLOCK_H

#include <stdint.h>

/* Monotonic milliseconds and seconds since an arbitrary start; never jumps. */
int64_t og_monotonic_ms(void);
double og_monotonic_seconds(void);
/* Wall-clock seconds since 1970 (UTC). */
double og_wall_seconds(void);

#endif
