/* SPDX-License-Identifier: MIT */
/*
 * The bounds of a child's crash-policy properties (docs/binding.md, "Crash
 * policy"): one copy for bhconfig, which checks the system tree, and bhmgrd,
 * which checks what the root's tree gives it again.
 */
#ifndef BULKHEAD_POLICY_H
#define BULKHEAD_POLICY_H

#define POLICY_DEFAULT_DELAY_MS 100U
#define POLICY_LONGEST_DELAY_MS 60000U
#define POLICY_WATCHDOG_MIN_MS	100U
#define POLICY_WATCHDOG_MAX_MS	3600000U
#define POLICY_MAX_RESTARTS	1000U
#define POLICY_DELAY_MAX_MS	3600000U

#endif
