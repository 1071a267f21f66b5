/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <time.h>

#include "error.h"
#include "macro.h"

/* The state directory of the runtime slice (default /run/vmslice):
 *
 *   lock            flock(2)ed for the whole of every prepare, release and restore
 *   journal         "orig<TAB>path<TAB>value" lines: the original value of every file vmslice
 *                   changed, appended and fsynced BEFORE the file is first written
 *   vms/NAME.spec   the slice of each VM that is prepared (see spec.h), written atomically
 *
 * Together they are enough to bring the host back after a crash at any point: the journal holds
 * every original, the specs say which VMs still want their slice. The directory and its files are
 * created with mode 0700/0600 and opened with O_NOFOLLOW; a state directory that is a symlink,
 * not a directory, or writable by others is refused. */

typedef struct State State;

#define STATE_DIR_DEFAULT "/run/vmslice"

int state_open(const char *dir, State **ret, Error *err);
State *state_close(State *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(State *, state_close)

const char *state_dir(const State *s);

/* Originals, in journal order. */
size_t state_n_originals(const State *s);
const char *state_original_path(const State *s, size_t i);
const char *state_original_value(const State *s, size_t i);
/* The recorded original of path, or NULL. */
const char *state_original(const State *s, const char *path);
/* Appends and fsyncs the original of path unless one is recorded. */
int state_save_original(State *s, const char *path, const char *value, Error *err);
/* Drops the original of path (the file is back to it); rewrites the journal atomically. */
int state_forget_original(State *s, const char *path, Error *err);

/* Prepared VMs. Names are validated domain names (no '/', not "." or ".."). */
int state_list_vms(State *s, char ***ret, Error *err);
int state_read_vm(State *s, const char *name, char **ret_text, Error *err);
int state_write_vm(State *s, const char *name, const char *text, Error *err);
int state_remove_vm(State *s, const char *name, Error *err);
bool state_has_vm(State *s, const char *name);
/* What the hook found of a running VM's threads at 'started begin' (vms/NAME.placement, lines
 * "LEVEL CODE: message"), shown by status; removed with the VM's record. */
int state_write_placement(State *s, const char *name, const char *text, Error *err);
/* -ENOENT when there is none; *ret_time (may be NULL): when it was recorded. */
int state_read_placement(State *s, const char *name, char **ret, time_t *ret_time);

/* Fault injection for the crash and rollback tests: with VMSLICE_FAULT=N (N >= 1) the Nth write
 * of this process to a journaled knob (a change, or a restore of its original) exits at once, as
 * kill -9 would: right before the write (for a change: after its original was saved;
 * VMSLICE_FAULT_AT=before, the default), or right after it (VMSLICE_FAULT_AT=after); or the write
 * fails with EIO (VMSLICE_FAULT_AT=fail).
 * Returns 0, or -EIO for a write that must fail. */
int state_fault_point(bool after_write);
/* Whether the fault of VMSLICE_FAULT fired in this process (a failed write need not fail the
 * operation: a refused IRQ is reported). */
bool state_fault_fired(void);
